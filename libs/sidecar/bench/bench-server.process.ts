/**
 * The server side of `npm run bench:sidecar`, run in its own process (so client and server do not
 * share one event loop). It serves the test Echo service twice, with handlers that answer at once:
 *
 * - a PLAIN grpc-js server (no sidecar at all): the target of both the raw and the sidecar client,
 *   so that their difference is the client stack's cost alone;
 * - a SidecarServer (auth, deadline check, bulkhead, metrics, call scope): used only for the
 *   optional "server-side added cost" figure.
 *
 * Both register in the Redis registry (`REDIS_PORT`), as services `bench-echo` (plain) and
 * `bench-echo-sidecar` (SidecarServer), so the sidecar client discovers them for real.
 *
 * Environment: TOKEN (shared token, required), REDIS_PORT (required), HOST (default 127.0.0.1),
 * BENCH_SERVER_PROFILE (optional: a file this process writes its V8 CPU profile to when stopped,
 * e.g. with `BENCH_PROFILE_VARIANT=rawToSidecarServer npm run bench:sidecar`, to profile the server path).
 * Prints `READY <plainPort> <sidecarPort>` once both listen and are registered. SIGTERM / SIGINT:
 * deregister, stop both servers, exit 0.
 */
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { RedisRegistry, type Registration } from '../src/lib/discovery/redis.registry';
import { RegistrySigner } from '../src/lib/discovery/registry-signature';
import { SidecarServer } from '../src/lib/server/sidecar.server';
import { createLogger } from '../src/lib/telemetry/logger';
import { loadEcho, type EchoReply, type EchoRequest } from '../test/fixtures/load-echo';

/** Service names the bench client resolves. */
export const PLAIN_SERVICE = 'bench-echo';
export const SIDECAR_SERVICE = 'bench-echo-sidecar';

function fail(message: string): never {
  process.stderr.write(`bench-server: ${message}\n`);
  process.exit(78);
}

/** The trivial reply both servers send (same bytes, so the wire cost is identical). */
function reply(request: EchoRequest, instanceId: string): EchoReply {
  return { message: request.message ?? '', instanceId, deadlineMs: 0, caller: '', traceparent: '', attempt: 0, idempotencyKey: '', incomingTraceparent: '' };
}

/** Starts the V8 profiler when BENCH_SERVER_PROFILE names a file; returns what writes it (a no-op otherwise). */
function startProfiler(): () => Promise<void> {
  const file = process.env['BENCH_SERVER_PROFILE'];
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  return () =>
    new Promise((resolve) =>
      session.post('Profiler.stop', (error, result) => {
        if (error) process.stderr.write(`bench-server: profile not written: ${error.message}\n`);
        else writeFileSync(file, JSON.stringify(result.profile));
        resolve();
      }),
    );
}

async function main(): Promise<void> {
  const writeProfile = startProfiler();
  const token = process.env['TOKEN'] || fail('set TOKEN (the shared token of the bench)');
  const redisPort = Number(process.env['REDIS_PORT'] || fail('set REDIS_PORT (the bench registry)'));
  if (!Number.isInteger(redisPort) || redisPort <= 0) fail(`REDIS_PORT must be a port number; got ${JSON.stringify(process.env['REDIS_PORT'])}`);
  const host = process.env['HOST'] || '127.0.0.1';
  const { definition } = loadEcho();
  const logger = createLogger({ service: SIDECAR_SERVICE, instance: `${SIDECAR_SERVICE}-1`, level: 'warn', sink: process.stderr });

  // 1. Plain grpc-js server: the handler answers at once.
  const plain = new grpc.Server();
  const plainId = `${PLAIN_SERVICE}-1`;
  plain.addService(definition, {
    // Relay and EchoStream are left out: grpc-js answers them UNIMPLEMENTED.
    Echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => callback(null, reply(call.request, plainId)),
  });
  const plainPort = await new Promise<number>((resolve, reject) =>
    plain.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );

  // 2. SidecarServer with the same trivial handler (and the token check, deadline, bulkhead, metrics).
  const sidecarId = `${SIDECAR_SERVICE}-1`;
  const sidecar = new SidecarServer({ service: SIDECAR_SERVICE, instanceId: sidecarId, host, port: 0, auth: { token }, logger, maxConcurrent: 1024 });
  sidecar.addService(definition, { Echo: (request: EchoRequest) => reply(request, sidecarId) });
  const { port: sidecarPort } = await sidecar.start();

  // 3. Register both in discovery, as a service would.
  const redis = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => undefined); // reported by the registry
  // signed as a service signs (the key derived from the shared token): the bench's sidecar clients
  // accept only signed entries, as the platform's do
  const registry = new RedisRegistry({ redis, signer: RegistrySigner.fromToken(token) });
  const registrations: Registration[] = [];
  for (const [service, id, port] of [
    [PLAIN_SERVICE, plainId, plainPort],
    [SIDECAR_SERVICE, sidecarId, sidecarPort],
  ] as const) {
    const registration = await registry.register({ id, service, address: `${host}:${port}`, zone: '', weight: 1, metadata: { pid: String(process.pid) } });
    if (!registration.registered) fail(`could not register ${service} in Redis on port ${redisPort}`);
    registrations.push(registration);
  }

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    await Promise.all(registrations.map((r) => r.deregister().catch(() => undefined)));
    await registry.shutdown();
    redis.disconnect();
    await sidecar.shutdown().catch(() => undefined);
    plain.forceShutdown();
    await writeProfile();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdout.write(`READY ${plainPort} ${sidecarPort}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-server: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
