import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { killAndWait, spawnTsNode, startRedisServer, waitForOutput, waitUntil, type RedisServerHandle } from '@failsoft/testing';
import { Sidecar } from '../../src/lib/sidecar';
import type { ServiceClient } from '../../src/lib/client/service-client';
import { loadEcho, type EchoReply } from '../fixtures/load-echo';

/**
 * The sidecar with real processes: services register in a real Redis, get SIGKILLed and
 * SIGTERMed under load, and a caller in this process must not see a single failed call.
 */
jest.setTimeout(60_000);

const token = 'process-spec-token-0123456789';
const script = 'libs/sidecar/test/e2e/sidecar-echo.process.ts';
const TTL_MS = 3000;

let redisServer: RedisServerHandle;
let redis: Redis;
let caller: Sidecar;
let echo: ServiceClient;
const children = new Map<string, ChildProcess>();

async function startEcho(id: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawnTsNode(script, [], {
    REDIS_PORT: String(redisServer.port),
    TOKEN: token,
    INSTANCE_ID: id,
    TTL_MS: String(TTL_MS),
    HEARTBEAT_MS: '500',
    ...env,
  });
  children.set(id, child);
  await waitForOutput(child, /READY (\d+)/, 30_000);
  return child;
}

function known(): string[] {
  return echo.snapshot().instances.map((i) => i.id);
}

/** `total` Echo calls from `concurrency` callers; `onProgress(done)` runs after each success. */
async function load(total: number, concurrency: number, onProgress: (done: number) => void = () => undefined): Promise<{ ok: number; failed: unknown[]; byInstance: Map<string, number> }> {
  let next = 0;
  let ok = 0;
  const failed: unknown[] = [];
  const byInstance = new Map<string, number>();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        try {
          const reply = await echo.call<unknown, EchoReply>('Echo', { message: 'hello', delayMs: 5 });
          byInstance.set(reply.instanceId, (byInstance.get(reply.instanceId) ?? 0) + 1);
          ok++;
          onProgress(ok);
        } catch (error) {
          failed.push(error);
        }
      }
    }),
  );
  return { ok, failed, byInstance };
}

beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = new Redis({ port: redisServer.port, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  caller = new Sidecar({ service: 'caller', auth: { token }, redis, discovery: { ttlMs: TTL_MS, heartbeatMs: 500, refreshMs: 500 }, logLevel: 'error' });
  echo = caller.client({
    service: 'echo',
    definition: loadEcho().definition,
    idempotentMethods: ['Echo'],
    timeoutMs: 3000,
    attemptTimeoutMs: 1000,
    retry: { maxAttempts: 4 },
  });
  await caller.start();
});

afterEach(async () => {
  // graceful stop: each instance deregisters (a leave event empties the view at once)
  await Promise.all([...children.values()].map((child) => killAndWait(child, 'SIGTERM', 8000).catch(() => killAndWait(child, 'SIGKILL'))));
  children.clear();
  await waitUntil(() => known().length === 0, { timeoutMs: 15_000, message: 'echo instances to leave the view' });
});

afterAll(async () => {
  await caller?.shutdown();
  redis?.disconnect();
  await redisServer?.stop();
});

describe('sidecar with real processes', () => {
  it('SIGKILL of one of 3 instances midway through 1,000 calls from 20 callers: zero failed calls, the dead one stops receiving traffic', async () => {
    await Promise.all(['kill-a', 'kill-b', 'kill-c'].map((id) => startEcho(id)));
    await waitUntil(() => known().length === 3, { timeoutMs: 10_000, message: 'three instances in the view' });

    let attemptsOnDead = 0;
    let killedAt = 0;
    const subscription = echo.onRetry((event) => {
      if ((event.error as { instanceId?: string }).instanceId?.includes('kill-b')) attemptsOnDead++;
    });
    const victim = children.get('kill-b') as ChildProcess;
    let killing: Promise<unknown> | undefined;
    const result = await load(1000, 20, (done) => {
      if (done === 500 && killing === undefined) {
        killedAt = Date.now();
        killing = killAndWait(victim, 'SIGKILL');
      }
    });
    await killing;
    subscription.dispose();

    expect(result.failed).toEqual([]);
    expect(result.ok).toBe(1000);
    expect(killedAt).toBeGreaterThan(0);
    expect(result.byInstance.get('kill-b')).toBeGreaterThan(0); // it served before the kill...
    // ...then only the calls in flight at the kill (at most one per caller, each retried elsewhere) hit it
    expect(attemptsOnDead).toBeLessThanOrEqual(20);
    // and it leaves the view once its registration expires (no heartbeat)
    await waitUntil(() => !known().includes('kill-b'), { timeoutMs: TTL_MS * 3, message: 'the dead instance to leave the view' });
    const after = await load(200, 20);
    expect(after.failed).toEqual([]);
    expect(after.byInstance.has('kill-b')).toBe(false);
  });

  it('SIGTERM of an instance under load: it drains, deregisters and exits 0 with zero failed calls', async () => {
    await Promise.all(['term-a', 'term-b', 'term-c'].map((id) => startEcho(id)));
    await waitUntil(() => known().length === 3, { timeoutMs: 10_000, message: 'three instances in the view' });
    const victim = children.get('term-a') as ChildProcess;
    let exit: Promise<{ code: number | null }> | undefined;
    const result = await load(600, 20, (done) => {
      if (done === 200 && exit === undefined) {
        exit = new Promise((resolve) => victim.once('exit', (code) => resolve({ code })));
        victim.kill('SIGTERM');
      }
    });
    expect(result.failed).toEqual([]);
    expect(await exit).toEqual({ code: 0 });
    // deregistered at once (no TTL wait): gone from the view within a refresh
    await waitUntil(() => !known().includes('term-a'), { timeoutMs: 2000, message: 'the drained instance to be deregistered' });
  });

  it('uses a newly registered instance within one registry TTL', async () => {
    await startEcho('new-a');
    await waitUntil(() => known().includes('new-a'), { timeoutMs: 10_000, message: 'the first instance in the view' });
    await startEcho('new-b');
    const registeredAt = Date.now();
    const seen = await waitUntil(
      async () => {
        const reply = await echo.call<unknown, EchoReply>('Echo', { message: 'x' });
        return reply.instanceId === 'new-b' ? Date.now() : undefined;
      },
      { timeoutMs: TTL_MS, intervalMs: 20, message: 'a call answered by the new instance within one TTL' },
    );
    expect(seen - registeredAt).toBeLessThan(TTL_MS);
  });

  it('keeps calling on the last view when Redis is stopped (fail-static)', async () => {
    await Promise.all(['static-a', 'static-b'].map((id) => startEcho(id)));
    await waitUntil(() => known().length === 2, { timeoutMs: 10_000, message: 'two instances in the view' });
    const port = redisServer.port;
    await redisServer.stop();
    await waitUntil(() => echo.snapshot().discoveryStale, { timeoutMs: 10_000, message: 'the resolver to notice Redis is gone' });
    const result = await load(300, 10);
    expect(result.failed).toEqual([]);
    expect([...result.byInstance.keys()].sort()).toEqual(['static-a', 'static-b']);
    // Redis comes back on the same port: discovery recovers
    redisServer = await startRedisServer({ port });
    await waitUntil(() => !echo.snapshot().discoveryStale && known().length === 2, { timeoutMs: 15_000, message: 'discovery to recover after Redis restarts' });
  });
});
