import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AdminHttpServer, Sidecar } from '@failsoft/sidecar';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';

/**
 * The admin endpoints (`/livez`, `/readyz`, `/metrics`, `/snapshot`) on their own port,
 * `ADMIN_PORT`, when it is set: the public port (what an Ingress or the front door exposes) then
 * serves none of them but `/livez` (see AppModule). Probes and Prometheus use the admin port.
 * Stops with the app, after the HTTP drain (so `/readyz` says 503 while the gateway drains).
 */
@Injectable()
export class AdminPortService implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: AdminHttpServer;

  /** @param sidecar metrics, readiness and snapshot; @param config ADMIN_PORT and BIND_HOST. */
  constructor(
    private readonly sidecar: Sidecar,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'ADMIN_PORT' | 'BIND_HOST'>,
  ) {}

  /** The bound admin port, undefined without one. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Starts the admin server when ADMIN_PORT is set. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.ADMIN_PORT === 0) return;
    const sidecar = this.sidecar;
    this.server = new AdminHttpServer({ port: this.config.ADMIN_PORT, host: this.config.BIND_HOST, metrics: sidecar.metrics, readiness: sidecar.readiness, snapshot: () => sidecar.snapshot() });
    const { port } = await this.server.start();
    sidecar.logger.info('admin endpoints listening', { port, host: this.config.BIND_HOST, paths: ['/livez', '/readyz', '/metrics', '/snapshot'] });
  }

  /** Stops the admin server. */
  async onApplicationShutdown(): Promise<void> {
    await this.server?.shutdown();
  }
}
