import type { ChaosTarget } from '../chaos/chaos-target';
import { DEMO_USERS, LoadApi } from '../load/api-client';
import { LoadGenerator } from '../load/load-generator';
import type { ReadBackRequests, ReadBackResult, UnverifiedWrite } from '../load/read-back';
import { errorsByCause, figuresByEndpoint, figuresOf, type Endpoint, type Figures, type SecondBucket, perSecond } from '../load/stats';
import type { FaultContext, Finding, ScenarioDefinition } from './scenario';
import { DELAY_RULE_ID, SCENARIO_SERVICES } from './scenarios';
import { judge, targetFor, type ScenarioTarget } from './targets';

/** Durations of a run: full (`failsoft scenario`) or `--short` (CI). */
export interface Timing {
  /** Load before the fault. */
  warmMs: number;
  /** Fault length of scenarios that do not set their own. */
  faultMs: number;
  /** Load kept running after the recovery. */
  tailMs: number;
  /** Requests per second. */
  rate: number;
}

/** Full-length runs. */
export const FULL_TIMING: Timing = { warmMs: 5000, faultMs: 20_000, tailMs: 3000, rate: 20 };
/** `--short` runs (CI): every scenario in seconds. */
export const SHORT_TIMING: Timing = { warmMs: 2500, faultMs: 6000, tailMs: 1500, rate: 15 };

/** Options of {@link runScenario}. */
export interface RunOptions {
  target: ChaosTarget;
  short?: boolean;
  /** Overrides the timing's rate. */
  rate?: number;
  /** Permanent progress lines. */
  log(line: string): void;
  /** The live progress line (default: none). */
  progress?(line: string): void;
  /** Write budget per user per second of the load (default 2: under the gateway's default rate limit). */
  writesPerUserPerSecond?: number;
  /** Bound of the steady-state check and of the recovery (default 120 s). */
  recoveryTimeoutMs?: number;
  /** The read-back's verification window (default 30 s): how long writes without a clean read are re-read once the platform is healthy. */
  windowMs?: number;
  /** @deprecated the old name of {@link windowMs}. */
  settleMs?: number;
  /** Overrides of the timing (specs: a fast run against a small fake API). */
  timing?: Partial<Timing>;
  random?: () => number;
}

/** A moment on a scenario's chart. */
export interface ScenarioEvent {
  /** Ms since the load started. */
  atMs: number;
  label: string;
}

/** Everything measured in one scenario. */
export interface ScenarioResult {
  name: string;
  title: string;
  /** The durability rule of the writes, for scenarios about it (partitions). */
  durability?: string;
  /** What the fault step found (FaultContext.note), e.g. whether a leader takeover happened. */
  findings?: Record<string, Finding>;
  startedAt: string;
  /** 2xx (degraded included) over all requests of the run. */
  availability: number;
  degradedShare: number;
  /** p99 latency of the requests started during the fault. */
  p99Ms: number;
  /** From the fault's end until everything was healthy and the API served non-degraded; null when it did not recover in time. */
  recoverySeconds: number | null;
  lostAcknowledgedWrites: number;
  acknowledgedWrites: number;
  /** Acknowledged writes (and like states) no read answered cleanly within the verification window: not proven kept; judged (must be 0). */
  unverifiedWrites: number;
  /** (user, post) like states whose final state stayed unknowable (their last op, repeated, was never acknowledged); counted in unverifiedWrites too. */
  uncertainLikeStates: number;
  /** The unverified writes, with the last answer each got. */
  unverified: UnverifiedWrite[];
  /** The read-back's own requests (never counted in the availability above), rounds and window; null when there was no load. */
  readBack: { requests: ReadBackRequests; rounds: number; windowMs: number; ms: number; settledLikeStates: number } | null;
  requests: number;
  endpoints: Record<Endpoint, Pick<Figures, 'requests' | 'ok' | 'degraded' | 'errors' | 'availability' | 'p99Ms'>>;
  errorsByCause: Array<{ cause: string; count: number }>;
  /** Requests whose connection was reset before an answer and that were sent again once, as a browser does (their outcome is the resend's). */
  resentAfterReset: number;
  /** The fault window, ms since the load started. */
  fault: { startMs: number; endMs: number };
  /** When the platform was whole again (ms since the load started), null when it was not. */
  recoveredAtMs: number | null;
  durationMs: number;
  perSecond: SecondBucket[];
  events: ScenarioEvent[];
  lost: ReadBackResult['lost'];
  steady: boolean;
  error?: string;
  target: ScenarioTarget;
  met: boolean;
  misses: string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Why the API does not serve cleanly right now (undefined when it does): every gateway's
 * `/api/health` says `ok`, and the front door serves a non-degraded feed (twice: both gateways).
 */
async function apiNotClean(api: LoadApi, token: string, gateways: readonly string[]): Promise<string | undefined> {
  for (const gateway of gateways) {
    const health = await new LoadApi(gateway, 3000).health();
    if (health.status !== 200) return `${gateway}/api/health ${health.status || health.error}`;
    if (health.json?.status !== 'ok') return `${gateway}/api/health says ${health.json?.status} (degraded: ${health.json?.degraded?.join(', ')})`;
  }
  for (let i = 0; i < 2; i++) {
    const feed = await api.feed(token, 20);
    if (feed.status !== 200) return `GET /api/feed ${feed.status || feed.error}`;
    if ((feed.json?.degraded?.length ?? 0) > 0) return `GET /api/feed is degraded (${feed.json?.degraded?.join(', ')})`;
  }
  return undefined;
}

/** Waits until the platform is whole and the API serves non-degraded. @throws naming what is still wrong after `timeoutMs`. */
export async function waitForFullService(target: ChaosTarget, api: LoadApi, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await target.waitForHealthy(timeoutMs);
  const status = await target.status();
  const gateways = status.instances.filter((i) => i.service === 'gateway' && i.url).map((i) => i.url as string);
  let why: string | undefined = 'not checked';
  while (Date.now() < deadline) {
    why = await apiNotClean(api, token, gateways);
    if (why === undefined) return;
    await sleep(250);
  }
  throw new Error(`the API does not serve cleanly after ${Math.round(timeoutMs / 1000)} s: ${why}`);
}

/**
 * Best effort after a failed scenario: revives every instance, resumes Redis, revives the
 * sentinels and removes the delay rule, so the next scenario starts from a whole platform.
 */
export async function restoreEverything(target: ChaosTarget, log: (line: string) => void): Promise<void> {
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      log(`[restore] ${what}: ${(error as Error).message}`);
    }
  };
  for (const service of SCENARIO_SERVICES) {
    const ids = await target.instancesOf(service).catch(() => [] as string[]);
    for (const id of ids) await attempt(`revive ${id}`, () => target.revive(id));
  }
  await attempt('resume Redis', () => target.redisResume());
  for (let i = 0; i < 3; i++) await attempt(`revive sentinel ${i}`, () => target.reviveSentinel(i));
  await attempt(`remove fault rule ${DELAY_RULE_ID}`, () => target.removeFault(DELAY_RULE_ID));
}

/** What the load phase (warm-up, fault, recovery, tail) of a scenario measured. */
interface LoadPhase {
  load: LoadGenerator | undefined;
  faultStart: number;
  faultEnd: number;
  recoveredAtMs: number | null;
  recoverySeconds: number | null;
  error: string | undefined;
}

/** What one run of a scenario needs besides its definition. */
interface ScenarioRun {
  options: RunOptions;
  timing: Timing;
  rate: number;
  faultMs: number;
  recoveryTimeoutMs: number;
  api: LoadApi;
  events: ScenarioEvent[];
  findings: Record<string, Finding>;
  log: (line: string) => void;
}

/**
 * Runs one scenario: steady-state check (everything healthy, the API not degraded), load, fault
 * (inject, hold, end), recovery (timed from the fault's end until everything is healthy and the API
 * serves non-degraded), more load, then the read-back of every acknowledged write; judged against
 * its target.
 */
export async function runScenario(definition: ScenarioDefinition, options: RunOptions): Promise<ScenarioResult> {
  const timing = { ...(options.short ? SHORT_TIMING : FULL_TIMING), ...options.timing };
  const run: ScenarioRun = {
    options,
    timing,
    rate: options.rate ?? timing.rate,
    faultMs: definition.faultMs ? (options.short ? definition.faultMs.short : definition.faultMs.full) : timing.faultMs,
    recoveryTimeoutMs: options.recoveryTimeoutMs ?? 120_000,
    api: new LoadApi(options.target.url, 10_000),
    events: [],
    findings: {},
    log: (line) => options.log(`[${definition.name}] ${line}`),
  };
  const startedAt = new Date().toISOString();
  // 1. steady state
  run.log(`steady-state check: everything healthy, the API not degraded`);
  const unsteady = await steadyStateProblem(run);
  // 2. load, fault, recovery
  const phase: LoadPhase = unsteady ? { load: undefined, faultStart: 0, faultEnd: 0, recoveredAtMs: null, recoverySeconds: null, error: unsteady } : await underLoad(definition, run);
  // 3. results and read-back
  const result = phase.load ? await phase.load.stop() : undefined;
  const readBack = phase.load && result ? await readBackWrites(phase.load, result.acknowledgedWrites, run) : undefined;
  return resultOf(definition, { startedAt, steady: !unsteady, phase, result, readBack, events: run.events, findings: run.findings, recoveryTimeoutMs: run.recoveryTimeoutMs });
}

/** Why the platform is not in its steady state (undefined when it is). */
async function steadyStateProblem(run: ScenarioRun): Promise<string | undefined> {
  try {
    const token = await run.api.signIn(DEMO_USERS[0]);
    await waitForFullService(run.options.target, run.api, token, run.recoveryTimeoutMs);
    return undefined;
  } catch (e) {
    return `steady-state check failed: ${(e as Error).message}`;
  }
}

/** Starts the load, warms up, runs the fault, times the recovery, and runs the tail. */
async function underLoad(definition: ScenarioDefinition, run: ScenarioRun): Promise<LoadPhase> {
  const { options, timing, log } = run;
  const phase: LoadPhase = { load: undefined, faultStart: 0, faultEnd: 0, recoveredAtMs: null, recoverySeconds: null, error: undefined };
  let ticker: NodeJS.Timeout | undefined;
  try {
    const l = await LoadGenerator.prepare({ url: options.target.url, rate: run.rate, writesPerUserPerSecond: options.writesPerUserPerSecond });
    phase.load = l;
    const token = l.tokens.get(DEMO_USERS[0]) as string;
    l.start();
    ticker = setInterval(() => options.progress?.(l.progressLine(definition.name)), 1000);
    log(`load ${run.rate}/s; fault in ${timing.warmMs / 1000} s`);
    await sleep(timing.warmMs);
    const ctx: FaultContext = { target: options.target, faultMs: run.faultMs, log, mark: (label) => run.events.push({ atMs: Math.round(l.elapsed()), label }), hold: sleep, random: options.random ?? Math.random, note: (key, value) => (run.findings[key] = value) };
    phase.faultStart = l.elapsed();
    try {
      await definition.fault(ctx);
    } catch (e) {
      phase.error = `fault step failed: ${(e as Error).message}`;
      log(phase.error);
      await restoreEverything(options.target, log);
    }
    phase.faultEnd = l.elapsed();
    log(`fault over after ${((phase.faultEnd - phase.faultStart) / 1000).toFixed(1)} s; waiting for full recovery`);
    await timeRecovery(run, l, token, phase);
    await sleep(timing.tailMs);
  } catch (e) {
    phase.error ??= (e as Error).message;
  } finally {
    clearInterval(ticker);
  }
  return phase;
}

/** Waits for full service after the fault and records how long it took (or restores everything when it does not come). */
async function timeRecovery(run: ScenarioRun, load: LoadGenerator, token: string, phase: LoadPhase): Promise<void> {
  const t0 = Date.now();
  try {
    await waitForFullService(run.options.target, run.api, token, run.recoveryTimeoutMs);
    phase.recoverySeconds = Math.round((Date.now() - t0) / 100) / 10;
    phase.recoveredAtMs = Math.round(load.elapsed());
    run.events.push({ atMs: phase.recoveredAtMs, label: 'recovered' });
    run.log(`recovered in ${phase.recoverySeconds} s`);
  } catch (e) {
    run.log(`no full recovery: ${(e as Error).message}`);
    await restoreEverything(run.options.target, run.log);
  }
}

/** Reads every acknowledged write back once the platform serves cleanly. */
function readBackWrites(load: LoadGenerator, acknowledgedWrites: number, run: ScenarioRun): Promise<ReadBackResult> {
  const windowMs = run.options.windowMs ?? run.options.settleMs ?? 30_000;
  run.log(`reading back ${acknowledgedWrites} acknowledged writes (once the platform serves cleanly; verification window ${Math.round(windowMs / 1000)} s)`);
  const token = load.tokens.get(DEMO_USERS[0]) as string;
  return load.readBack({ windowMs, waitHealthy: () => waitForFullService(run.options.target, load.api, token, run.recoveryTimeoutMs), log: run.log });
}

/** The figures of one run, judged against the scenario's target. */
function resultOf(
  definition: ScenarioDefinition,
  run: { startedAt: string; steady: boolean; phase: LoadPhase; result: Awaited<ReturnType<LoadGenerator['stop']>> | undefined; readBack: ReadBackResult | undefined; events: ScenarioEvent[]; findings: Record<string, Finding>; recoveryTimeoutMs: number },
): ScenarioResult {
  const { phase, result, readBack, steady } = run;
  const target = targetFor(definition.exempt, Math.round(run.recoveryTimeoutMs / 1000));
  const samples = result?.samples ?? [];
  const overall = figuresOf(samples);
  const byEndpoint = figuresByEndpoint(samples);
  const endpoints = Object.fromEntries(
    Object.entries(byEndpoint).map(([e, f]) => [e, { requests: f.requests, ok: f.ok, degraded: f.degraded, errors: f.errors, availability: f.availability, p99Ms: f.p99Ms }]),
  ) as ScenarioResult['endpoints'];
  const lost = readBack?.lost ?? [];
  const unverified = readBack?.unverified ?? [];
  const acknowledgedWrites = result?.acknowledgedWrites ?? 0;
  const verdict = judge({ steady, recoverySeconds: phase.recoverySeconds, lostAcknowledgedWrites: lost.length, unverifiedWrites: unverified.length, acknowledgedWrites, byEndpoint, error: phase.error }, target);
  return {
    name: definition.name,
    title: definition.title,
    ...(definition.durability ? { durability: definition.durability } : {}),
    ...(Object.keys(run.findings).length ? { findings: run.findings } : {}),
    startedAt: run.startedAt,
    availability: overall.availability,
    degradedShare: overall.degradedShare,
    p99Ms: figuresOf(samples.filter((s) => s.at >= phase.faultStart && s.at <= phase.faultEnd)).p99Ms,
    recoverySeconds: phase.recoverySeconds,
    lostAcknowledgedWrites: lost.length,
    acknowledgedWrites,
    unverifiedWrites: unverified.length,
    uncertainLikeStates: readBack?.uncertainLikeKeys ?? 0,
    unverified,
    readBack: readBack ? { requests: readBack.requests, rounds: readBack.rounds, windowMs: readBack.windowMs, ms: readBack.ms, settledLikeStates: readBack.settledLikeKeys } : null,
    requests: overall.requests,
    endpoints,
    errorsByCause: errorsByCause(samples),
    resentAfterReset: samples.filter((s) => s.resent).length,
    fault: { startMs: Math.round(phase.faultStart), endMs: Math.round(phase.faultEnd) },
    recoveredAtMs: phase.recoveredAtMs,
    durationMs: result?.durationMs ?? 0,
    perSecond: result ? perSecond(samples, result.durationMs) : [],
    events: run.events,
    lost,
    steady,
    ...(phase.error ? { error: phase.error } : {}),
    target,
    met: verdict.met,
    misses: verdict.misses,
  };
}
