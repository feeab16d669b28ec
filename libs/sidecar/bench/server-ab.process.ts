/**
 * One SidecarServer (Echo, answering at once: the same handler as bench-server.process.ts) built
 * from the sidecar sources of the tree at SIDECAR_ROOT (this checkout, or an older one), for
 * server-ab.bench.ts. Prints `READY <port>`; stops on SIGTERM.
 *
 * Run with SWC_NODE_PROJECT=<SIDECAR_ROOT>/tsconfig.base.json so that tree's @failsoft/* paths apply.
 */
import { join } from 'node:path';

interface ServerModule {
  SidecarServer: new (options: Record<string, unknown>) => {
    addService(definition: unknown, handlers: Record<string, (request: { message?: string }) => unknown>): void;
    start(): Promise<{ port: number }>;
    shutdown(): Promise<void>;
  };
}

async function main(): Promise<void> {
  const root = process.env['SIDECAR_ROOT'];
  const token = process.env['TOKEN'];
  if (!root || !token) throw new Error('set SIDECAR_ROOT (a checkout) and TOKEN');
  const lib = join(root, 'libs', 'sidecar');
  const { SidecarServer } = (await import(join(lib, 'src/lib/server/sidecar.server'))) as ServerModule;
  const { createLogger } = (await import(join(lib, 'src/lib/telemetry/logger'))) as { createLogger: (o: Record<string, unknown>) => unknown };
  const { loadEcho } = (await import(join(lib, 'test/fixtures/load-echo'))) as { loadEcho: () => { definition: unknown } };
  const id = 'bench-echo-sidecar-1';
  const logger = createLogger({ service: 'bench-echo-sidecar', instance: id, level: 'warn', sink: process.stderr });
  const server = new SidecarServer({ service: 'bench-echo-sidecar', instanceId: id, host: '127.0.0.1', port: 0, auth: { token }, logger, maxConcurrent: 1024 });
  server.addService(loadEcho().definition, {
    Echo: (request) => ({ message: request.message ?? '', instanceId: id, deadlineMs: 0, caller: '', traceparent: '', attempt: 0, idempotencyKey: '', incomingTraceparent: '' }),
  });
  const { port } = await server.start();
  process.on('SIGTERM', () => void server.shutdown().finally(() => process.exit(0)));
  process.stdout.write(`READY ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`server-ab: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
