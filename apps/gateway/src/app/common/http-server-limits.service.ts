import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { GATEWAY_CONFIG } from '../gateway.constants';
import { multipartFileLimit, type GatewayConfig } from '../gateway.config';
import { guardBodySizes } from './body-size.guard';

/** How often Node checks connections against the header and request timeouts, ms (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * The gateway is the edge (in Kubernetes nothing sits in front of it but the Ingress): Node's
 * defaults let slow clients hold connections for minutes. Sets, before the server listens:
 * `headersTimeout` (slow headers: 408 and close), `requestTimeout` (the whole request, body
 * included), `keepAliveTimeout` (idle reused connections) and `maxConnections` (more are refused
 * at accept), from HTTP_* variables; and refuses declared bodies over their route's limit before
 * reading them (body-size.guard.ts).
 */
@Injectable()
export class HttpServerLimitsService implements OnApplicationBootstrap {
  /** @param adapter the Nest HTTP adapter (its node:http server); @param config the limits. */
  constructor(
    private readonly adapter: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS' | 'UPLOAD_MAX_BYTES'>,
  ) {}

  /** Applies the limits (runs before `listen`). */
  onApplicationBootstrap(): void {
    const server = this.adapter.httpAdapter?.getHttpServer() as (Server & { connectionsCheckingInterval?: number }) | undefined;
    if (server === undefined) return;
    applyServerLimits(server, this.config);
    guardBodySizes(server, multipartFileLimit(this.config));
  }
}

/** Sets the limits on `server` (before it listens: the check interval is read then). */
export function applyServerLimits(server: Server & { connectionsCheckingInterval?: number }, config: Pick<GatewayConfig, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>): void {
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  server.connectionsCheckingInterval = Math.min(CONNECTIONS_CHECK_MS, config.HTTP_HEADERS_TIMEOUT_MS);
}
