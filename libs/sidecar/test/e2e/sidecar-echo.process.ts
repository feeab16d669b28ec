/**
 * A standalone Echo service built with the Sidecar facade, as a platform service is: it
 * registers itself in the Redis registry once listening, heartbeats, applies fault rules from
 * Redis, and on SIGTERM drains (not ready → deregister → finish in-flight work → exit 0).
 *
 * Environment: REDIS_PORT (required), TOKEN (required), SERVICE (default echo), INSTANCE_ID,
 * ZONE, DELAY_MS (added to every Echo), TTL_MS / HEARTBEAT_MS (registry), LOG_LEVEL (default warn).
 * Prints `READY <port>` once registered, `DRAINED` when stopped.
 */
import { Redis } from 'ioredis';
import { Sidecar } from '../../src/lib/sidecar';
import type { LogLevel } from '../../src/lib/telemetry/logger';
import { EchoService, loadEcho } from '../fixtures/load-echo';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`sidecar-echo: ${name} is required\n`);
    process.exit(78);
  }
  return value;
}

async function main(): Promise<void> {
  const token = required('TOKEN');
  const redis = new Redis({ host: '127.0.0.1', port: Number(required('REDIS_PORT')), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  redis.on('error', () => undefined); // the registry and fault store report failures themselves
  const sidecar = new Sidecar({
    service: process.env['SERVICE'] || 'echo',
    instanceId: process.env['INSTANCE_ID'] || undefined,
    zone: process.env['ZONE'] || undefined,
    auth: { token },
    redis,
    discovery: { ttlMs: Number(process.env['TTL_MS'] || 3000), heartbeatMs: Number(process.env['HEARTBEAT_MS'] || 500) },
    logLevel: (process.env['LOG_LEVEL'] as LogLevel) || 'warn',
  });
  const echo = new EchoService({ instanceId: sidecar.instanceId, baseDelayMs: Number(process.env['DELAY_MS'] || 0), relayAuth: { token } });
  const server = sidecar.server({ drainTimeoutMs: 5000 });
  server.addService(loadEcho().definition, echo.handlers);
  server.onStateChange(({ to }) => {
    if (to === 'stopped') {
      echo.close();
      void sidecar.shutdown().finally(() => {
        redis.disconnect();
        process.stdout.write('DRAINED\n');
      });
    }
  });
  server.installSignalHandlers();
  const { port } = await server.start();
  process.stdout.write(`READY ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sidecar-echo: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
