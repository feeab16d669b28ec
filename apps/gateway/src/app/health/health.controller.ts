import { Controller, Get, Inject } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { STATE_REDIS } from '@failsoft/state/nest';
import type { RedisConnection } from '@failsoft/state';

/** What `GET /api/health` reports about one downstream part. */
export interface PartHealth {
  /** Service breaker: `closed`, `open`, `halfOpen` (or `none`). */
  readonly breaker: string;
  /** Instances known from discovery. */
  readonly instances: number;
  /** Instances not ejected by outlier detection. */
  readonly healthyInstances: number;
  /** True while discovery is unreachable and the last view is used. */
  readonly discoveryStale: boolean;
}

/** Body of `GET /api/health`. */
export interface HealthBody {
  /** `ok`, or `degraded` when some part is unavailable (the gateway still serves). */
  readonly status: 'ok' | 'degraded';
  /** Parts whose breaker is open or that have no usable instance. */
  readonly degraded: readonly string[];
  /** This gateway instance. */
  readonly instance: string;
  readonly service: string;
  readonly zone: string;
  /** Per part, from the sidecar's live view. */
  readonly parts: Readonly<Record<string, PartHealth>>;
  /** Connection of the state client (rate limits, shared last-good page): `up` or `down`. */
  readonly redis: 'up' | 'down';
}

/**
 * `GET /api/health`: the gateway's view of the platform, for the UI's notices and the console.
 * Always 200 while the gateway runs (liveness and readiness are `/livez` and `/readyz`): a part
 * is degraded while its breaker is open or it has no instance that is not ejected; this clears by
 * itself when the breaker closes or instances come back.
 */
@Controller('api')
export class HealthController {
  /** @param sidecar the process's sidecar (live view); @param redis the state client. */
  constructor(
    private readonly sidecar: Sidecar,
    @Inject(STATE_REDIS) private readonly redis: RedisConnection,
  ) {}

  /** The health report. */
  @Get('health')
  health(): HealthBody {
    const snapshot = this.sidecar.snapshot();
    const parts: Record<string, PartHealth> = {};
    const degraded: string[] = [];
    for (const downstream of snapshot.downstreams) {
      const healthy = downstream.instances.filter((instance) => !instance.ejected).length;
      parts[downstream.service] = { breaker: downstream.breaker, instances: downstream.instances.length, healthyInstances: healthy, discoveryStale: downstream.discoveryStale };
      if (downstream.breaker === 'open' || healthy === 0) degraded.push(downstream.service);
    }
    degraded.sort();
    return {
      status: degraded.length === 0 ? 'ok' : 'degraded',
      degraded,
      instance: snapshot.instanceId,
      service: snapshot.service,
      zone: snapshot.zone,
      parts,
      redis: this.redis.status === 'ready' ? 'up' : 'down',
    };
  }
}
