import { createServer } from 'node:net';
import { InvalidRuntimeOptionsError, show } from './local-runtime.error';

/** The machine's own Redis port: never handed out, never touched. */
export const RESERVED_REDIS_PORT = 6379;

/** The machine's own Sentinel port: never handed out either. */
export const RESERVED_SENTINEL_PORT = 26379;

/** Ports this process handed out recently, so two calls in a row never return the same one. */
const recentlyIssued: number[] = [];

function bindPortZero(host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(chosen));
    });
  });
}

/**
 * Finds a free TCP port on `host` (default 127.0.0.1) by binding port 0. Never returns 6379
 * (the machine's own Redis) nor 26379 (its sentinel), nor a port this process handed out recently.
 * The port is free when returned; callers that bind it later should retry on EADDRINUSE
 * (startRedisServer does).
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  if (typeof host !== 'string' || host.trim() === '') throw new InvalidRuntimeOptionsError(`getFreePort.host must be a non-empty string; got ${show(host)}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindPortZero(host);
    if (port <= 0 || port === RESERVED_REDIS_PORT || port === RESERVED_SENTINEL_PORT || recentlyIssued.includes(port)) continue;
    recentlyIssued.push(port);
    if (recentlyIssued.length > 512) recentlyIssued.shift();
    return port;
  }
  throw new InvalidRuntimeOptionsError(`getFreePort: could not find a free port on ${show(host)} after 50 attempts`);
}

/** True when `port` can be bound on `host` (default 127.0.0.1) right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
