import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../gateway.constants';
import type { GatewayConfig } from '../gateway.config';
import type { GatewayRequest, GatewayResponse } from './gateway-request';
import { acceptedHosts, hostOriginRefusal } from './host-origin.policy';

/**
 * Refuses, before anything else runs, a request for a host this platform does not serve (421
 * `UNKNOWN_HOST`: DNS rebinding) and a state-changing request from a foreign page (403
 * `FORBIDDEN_ORIGIN`: cross-site requests), with a JSON body; see host-origin.policy.ts.
 */
@Injectable()
export class HostOriginMiddleware implements NestMiddleware {
  private readonly accepted: ReturnType<typeof acceptedHosts>;

  /** @param config PUBLIC_HOSTS, ADVERTISE_HOST and BIND_HOST. */
  constructor(@Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'PUBLIC_HOSTS' | 'ADVERTISE_HOST' | 'BIND_HOST'>) {
    this.accepted = acceptedHosts(config.PUBLIC_HOSTS, [config.ADVERTISE_HOST, config.BIND_HOST]);
  }

  /** Answers the refusal, or continues. */
  use(request: GatewayRequest, response: GatewayResponse, next: () => void): void {
    const origin = request.headers.origin;
    const refusal = hostOriginRefusal(request.method, request.headers.host, Array.isArray(origin) ? origin[0] : origin, this.accepted);
    if (refusal === undefined) return next();
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Connection', 'close');
    response.status(refusal.status).json({ error: { code: refusal.code, message: refusal.message } });
  }
}
