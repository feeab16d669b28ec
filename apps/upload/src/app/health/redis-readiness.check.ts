import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Sidecar } from '@failsoft/sidecar';
import { RedisHealthIndicator } from '@failsoft/state/nest';

/**
 * Adds the readiness check `redis` (PING + ROLE within the indicator's timeout) to the sidecar's
 * readiness: `/readyz` and gRPC health report not ready while Redis is unreachable, so traffic goes
 * to instances that can store posts. Liveness (`/livez`) is unaffected: the process keeps running
 * and becomes ready when Redis answers again.
 */
@Injectable()
export class RedisReadinessCheck implements OnModuleInit {
  /** @param sidecar the process's sidecar; @param health the state library's Redis health indicator. */
  constructor(
    private readonly sidecar: Sidecar,
    private readonly health: RedisHealthIndicator,
  ) {}

  /** Registers the check before the gRPC server starts (on application bootstrap). */
  onModuleInit(): void {
    this.sidecar.readiness.addCheck('redis', async () => (await this.health.check('redis')).redis.status === 'up');
  }
}
