import { createServer } from 'node:net';

/** The machine's own Redis port: never handed out, never touched. */
export const RESERVED_REDIS_PORT = 6379;

/**
 * Finds a free TCP port on `host` (default 127.0.0.1) by binding port 0. Never returns 6379
 * (the machine's own Redis) nor 26379 (its sentinel). The port is free when returned; callers that
 * bind it later should retry on EADDRINUSE (startRedisServer does).
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port > 0 && port !== RESERVED_REDIS_PORT && port !== 26379) return port;
  }
  throw new Error(`getFreePort: could not find a free port on ${host} after 20 attempts`);
}
