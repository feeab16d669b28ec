import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { GatewayRequest, GatewayResponse } from './gateway-request';

/**
 * Headers on every response: `X-Content-Type-Options: nosniff`, no `X-Powered-By`, and
 * `Cache-Control: no-store` on API responses (handlers that serve cacheable content, like images,
 * override it).
 */
@Injectable()
export class ApiHeadersMiddleware implements NestMiddleware {
  /** Sets the headers, then continues. */
  use(request: GatewayRequest, response: GatewayResponse, next: () => void): void {
    response.removeHeader('X-Powered-By');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if ((request.originalUrl ?? request.url).startsWith('/api/')) response.setHeader('Cache-Control', 'no-store');
    next();
  }
}
