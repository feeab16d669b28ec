import { ENDPOINTS, type Endpoint, type Figures } from '../load/stats';
import type { Exemption } from './scenario';

/** The availability every scenario must keep (over all requests, degraded answers included). */
export const AVAILABILITY_TARGET = 0.999;

/** The target of one scenario, as reported. */
export interface ScenarioTarget {
  /** Availability each judged endpoint must keep. */
  availability: number;
  lostAcknowledgedWrites: 0;
  /** Acknowledged writes (and like states) that no read answered cleanly within the verification window: none may stay. */
  unverifiedWrites: 0;
  /** Endpoints not judged (their own calls may fail during this fault). */
  exempt: Endpoint[];
  /** Why they are exempt. */
  reason?: string;
  /** Recovery must happen (everything healthy, the API not degraded) within this many seconds; how fast is reported, not judged. */
  recoveryWithinSeconds: number;
}

/** What the judgement looks at. */
export interface Measured {
  /** False when the platform was not healthy before the fault (the scenario did not run its fault). */
  steady: boolean;
  /** Null when the platform did not recover within the bound. */
  recoverySeconds: number | null;
  lostAcknowledgedWrites: number;
  /** Acknowledged writes the read-back could not judge within its verification window (not proven kept). */
  unverifiedWrites: number;
  /** Acknowledged writes made by the load; with none, nothing was checked and the scenario proves nothing about lost writes. */
  acknowledgedWrites: number;
  byEndpoint: Record<Endpoint, Pick<Figures, 'requests' | 'availability'>>;
  /** An error that stopped the scenario (chaos action failed...). */
  error?: string;
}

/** The target of a scenario with `exempt`. */
export function targetFor(exempt: Exemption | undefined, recoveryWithinSeconds: number): ScenarioTarget {
  return { availability: AVAILABILITY_TARGET, lostAcknowledgedWrites: 0, unverifiedWrites: 0, exempt: [...(exempt?.endpoints ?? [])], ...(exempt ? { reason: exempt.reason } : {}), recoveryWithinSeconds };
}

/**
 * Judges a scenario: met when the platform was steady first, recovered within the bound, made
 * acknowledged writes and lost none, left none unverified (a write no read answered cleanly in the
 * verification window is not proven kept), and every endpoint not exempt kept {@link AVAILABILITY_TARGET}.
 * @returns `met` and what was missed, in words.
 */
export function judge(measured: Measured, target: ScenarioTarget): { met: boolean; misses: string[] } {
  const misses: string[] = [];
  if (measured.error) misses.push(`the scenario failed: ${measured.error}`);
  if (!measured.steady) misses.push('the platform was not healthy before the fault');
  if (measured.recoverySeconds === null) misses.push(`no full recovery within ${target.recoveryWithinSeconds} s`);
  if (measured.lostAcknowledgedWrites > target.lostAcknowledgedWrites) misses.push(`${measured.lostAcknowledgedWrites} acknowledged writes lost`);
  if (measured.unverifiedWrites > target.unverifiedWrites) misses.push(`${measured.unverifiedWrites} acknowledged writes unverified (no clean read-back within the verification window)`);
  if (measured.steady && !measured.error && measured.acknowledgedWrites === 0) misses.push('no acknowledged write to read back: the lost-write check proved nothing');
  for (const endpoint of ENDPOINTS) {
    if (target.exempt.includes(endpoint)) continue;
    const f = measured.byEndpoint[endpoint];
    if (f.requests > 0 && f.availability < target.availability) misses.push(`${endpoint} availability ${(f.availability * 100).toFixed(2)}% < ${(target.availability * 100).toFixed(1)}%`);
  }
  return { met: misses.length === 0, misses };
}
