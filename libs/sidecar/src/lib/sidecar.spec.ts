import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '@failsoft/testing';
import { loadEcho, type EchoReply } from '../../test/fixtures/load-echo';
import type { HandlerContext } from './server/index';
import { registryKeys } from './discovery/redis.registry';
import { Sidecar } from './sidecar';
import type { Logger, LogFields } from './telemetry/logger';

jest.setTimeout(30_000);

const TOKEN = 'sidecar-spec-token-0123456789';

/** A logger keeping its lines (level, message) for assertions. */
function recordingLogger(): Logger & { lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const at =
    (level: string) =>
    (msg: string, _fields?: LogFields): void => {
      lines.push({ level, msg });
    };
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe('Sidecar (real redis-server, real gRPC)', () => {
  let redisServer: RedisServerHandle;
  const clients: Redis[] = [];
  const sidecars: Sidecar[] = [];

  function redis(): Redis {
    const client = new Redis({ port: redisServer.port, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }
  function sidecar(service: string, extra: { zone?: string; logger?: Logger } = {}): Sidecar {
    const created = new Sidecar({ service, auth: { token: TOKEN }, redis: redis(), logLevel: 'error', faultInjection: false, ...extra });
    sidecars.push(created);
    return created;
  }
  /** An echo backend serving on `host` (advertising `advertiseHost`), registered in discovery. */
  async function echoBackend(host: string, advertiseHost?: string): Promise<{ port: number; address: string }> {
    const backend = sidecar('echo');
    const server = backend.server({ host, port: 0, advertiseHost });
    server.addService(loadEcho().definition, {
      Echo: async (request: { message: string }, ctx: HandlerContext): Promise<Partial<EchoReply>> => ({ message: `echo:${request.message}`, caller: ctx.caller }),
      Relay: async () => ({ hops: [] }),
      EchoStream: async () => undefined,
    });
    const { port } = await server.start();
    const keys = registryKeys('failsoft:registry', 'echo');
    const entry = JSON.parse(String(await redis().get(keys.instance(backend.instanceId)))) as { address: string };
    return { port, address: entry.address };
  }

  beforeAll(async () => {
    redisServer = await startRedisServer();
  });
  afterEach(async () => {
    for (const s of sidecars.splice(0).reverse()) await s.shutdown();
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await redisServer?.stop();
  });

  it('registers an instance on IPv6 loopback as [::1]:port and calls it through discovery', async () => {
    const { port, address } = await echoBackend('::1');
    expect(address).toBe(`[::1]:${port}`);
    const front = sidecar('front');
    const client = front.client({ service: 'echo', definition: loadEcho().definition, idempotentMethods: ['Echo'] });
    await front.start();
    expect(await client.call<unknown, EchoReply>('Echo', { message: 'over ipv6' })).toMatchObject({ message: 'echo:over ipv6', caller: 'front' });
  });

  it('binds "::" (every IPv4 and IPv6 address) and registers the advertised IPv6 host in brackets', async () => {
    const { port, address } = await echoBackend('::', '::1');
    expect(address).toBe(`[::1]:${port}`);
    const front = sidecar('front');
    const overIpv6 = front.client({ service: 'echo', definition: loadEcho().definition, idempotentMethods: ['Echo'] });
    const overIpv4 = front.client({ service: 'echo-v4', definition: loadEcho().definition, resolver: { kind: 'static', service: 'echo-v4', addresses: [`127.0.0.1:${port}`] } });
    await front.start();
    expect(await overIpv6.call<unknown, EchoReply>('Echo', { message: 'v6' })).toMatchObject({ message: 'echo:v6' });
    expect(await overIpv4.call<unknown, EchoReply>('Echo', { message: 'v4' })).toMatchObject({ message: 'echo:v4' });
  });

  it('says in one log line when its zone is unknown (an empty ZONE), and not when a zone is set or not used', () => {
    const unknown = recordingLogger();
    sidecar('zoneless', { zone: '', logger: unknown });
    expect(unknown.lines.filter((l) => /zone unknown/.test(l.msg))).toEqual([{ level: 'warn', msg: expect.stringContaining('zone unknown (ZONE is empty)') }]);
    for (const extra of [{ zone: 'zone-a' }, {}]) {
      const quiet = recordingLogger();
      sidecar('zoned', { ...extra, logger: quiet });
      expect(quiet.lines.filter((l) => /zone unknown/.test(l.msg))).toEqual([]);
    }
  });
});
