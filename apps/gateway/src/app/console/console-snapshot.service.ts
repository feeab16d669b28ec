import { Inject, Injectable } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { CONSOLE_OPTIONS, type ConsoleOptions } from './console.constants';
import { ConsoleTrafficService } from './console-traffic.service';
import { ControlClientService, type ControlStatus } from './control-client.service';
import { RedisTopologyService, type RedisTopologyView, type TrendingLeaderView } from './redis-topology.service';
import type { TrafficSeries } from './rolling-rates';

/** Breaker states as the console names them. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'none';

/** One downstream instance as this gateway sees it. */
export interface ConsoleInstanceView {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  /** This gateway's breaker for the instance (outlier detection). */
  readonly breaker: BreakerState;
  /** Kept out of rotation by outlier detection. */
  readonly ejected: boolean;
  /** Calls in flight from this gateway. */
  readonly inFlight: number;
  /** Latency estimate, ms. */
  readonly latencyMs: number;
}

/** One downstream service as this gateway sees it. */
export interface ConsoleServiceView {
  readonly service: string;
  /** This gateway's service breaker (fast fallbacks while the whole service fails). */
  readonly breaker: BreakerState;
  /** Discovery unreachable: the last view is used. */
  readonly discoveryStale: boolean;
  /** Calls per second from this gateway (rolling window of the sidecar). */
  readonly rates: { readonly requests: number; readonly successes: number; readonly failures: number; readonly fallbacks: number; readonly retries: number };
  readonly instances: readonly ConsoleInstanceView[];
}

/** What `GET /api/console/snapshot` and each `snapshot` event carry. */
export interface ConsoleSnapshot {
  readonly time: string;
  /** The gateway that built this snapshot (the view is "as seen by" it). */
  readonly gateway: { readonly id: string; readonly zone: string; readonly pid: number };
  /** Downstream services, their instances and breakers, as this gateway's sidecar sees them. */
  readonly services: readonly ConsoleServiceView[];
  readonly redis: RedisTopologyView;
  readonly trending: TrendingLeaderView;
  /** This gateway's public API responses by class, last 60 s. */
  readonly traffic: TrafficSeries;
  /** Whether the buttons work here, and why not when they do not. */
  readonly control: { readonly available: boolean; readonly reason?: string };
  /** Every process of the platform, Redis nodes with pids, breakers of every gateway, faults (only with control). */
  readonly platform: ControlStatus | null;
}

/** How long a built snapshot is reused (every stream shares one snapshot per tick), ms. */
const REUSE_MS = 750;

/**
 * Builds the console's snapshot: this gateway's sidecar view, Redis from the sentinels, the
 * trending leader, the traffic window and, when the control channel answers, the whole platform.
 * Snapshots are reused for a moment and built once at a time, so many viewers cost one build.
 */
@Injectable()
export class ConsoleSnapshotService {
  private last?: { at: number; snapshot: ConsoleSnapshot };
  private building?: Promise<ConsoleSnapshot>;

  /** Collaborators: see the class comment. */
  constructor(
    @Inject(CONSOLE_OPTIONS) private readonly options: ConsoleOptions,
    private readonly sidecar: Sidecar,
    private readonly traffic: ConsoleTrafficService,
    private readonly redis: RedisTopologyService,
    private readonly control: ControlClientService,
  ) {}

  /** The current snapshot (never rejects: failing parts carry an `error` or a `reason`). */
  snapshot(): Promise<ConsoleSnapshot> {
    if (this.last !== undefined && Date.now() - this.last.at < REUSE_MS) return Promise.resolve(this.last.snapshot);
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  /** Forgets the reused snapshot (after an action, so the next one shows its effect). */
  invalidate(): void {
    this.last = undefined;
  }

  private async build(): Promise<ConsoleSnapshot> {
    const [redis, trending, control] = await Promise.all([this.redis.topology(), this.redis.trendingLeader(), this.control.availability()]);
    const sidecar = this.sidecar.snapshot();
    const snapshot: ConsoleSnapshot = {
      time: new Date().toISOString(),
      gateway: { id: this.options.instanceId, zone: this.options.zone, pid: process.pid },
      services: sidecar.downstreams.map((d) => ({
        service: d.service,
        breaker: breakerState(d.breaker),
        discoveryStale: d.discoveryStale,
        rates: d.rates,
        instances: d.instances
          .map((i) => ({ id: i.id, address: i.address, zone: i.zone, breaker: breakerState(i.breaker), ejected: i.ejected, inFlight: i.outstanding, latencyMs: i.latencyMs }))
          .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })),
      })),
      redis,
      trending,
      traffic: this.traffic.series(),
      control: control.available ? { available: true } : { available: false, reason: control.reason },
      platform: control.available ? control.status : null,
    };
    this.last = { at: Date.now(), snapshot };
    return snapshot;
  }
}

/** `halfOpen` (opossum) → `half-open`; anything unknown → `none`. */
export function breakerState(state: string): BreakerState {
  if (state === 'closed' || state === 'open') return state;
  if (state === 'halfOpen' || state === 'half-open') return 'half-open';
  return 'none';
}
