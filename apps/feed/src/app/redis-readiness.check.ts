import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { RedisHealthIndicator } from '@failsoft/state/nest';

/**
 * Adds the readiness check `redis` (PING + ROLE on the state client) to the sidecar's readiness:
 * `/readyz` and gRPC health report not ready while Redis is unreachable; liveness is unaffected.
 */
@Injectable()
export class RedisReadinessCheck implements OnModuleInit {
  constructor(
    @Inject(Sidecar) private readonly sidecar: Sidecar,
    private readonly health: RedisHealthIndicator,
  ) {}

  /** Registers the check. */
  onModuleInit(): void {
    this.sidecar.readiness.addCheck('redis', async () => (await this.health.check('redis')).redis.status === 'up');
  }
}
