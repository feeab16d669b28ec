import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { killAndWait, sleep, spawnTsNode, startRedisServer, waitForOutput, waitUntil, type RedisServerHandle } from '@failsoft/testing';
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
const httpScript = 'libs/sidecar/test/e2e/sidecar-nest-http.process.ts';
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

type HttpResult = { status: number; body: string } | { error: string };

/** GET `url`: the status and body, or the connection error (refused, reset...). */
async function get(url: string): Promise<HttpResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { error: String((error as { cause?: unknown }).cause ?? error) };
  }
}

/** A status, or the error when there was no HTTP answer. */
function statusOf(result: HttpResult): number | string {
  return 'status' in result ? result.status : result.error;
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

  it('SIGTERM of a Nest HTTP app (bootstrapService) with slow calls in flight and a steady stream of requests: /readyz 503 first, every request answered 200, then it exits 0', async () => {
    await Promise.all(['http-a', 'http-b'].map((id) => startEcho(id)));
    await waitUntil(() => known().length === 2, { timeoutMs: 10_000, message: 'two echo instances in the view' });
    const app = spawnTsNode(httpScript, [], { REDIS_PORT: String(redisServer.port), TOKEN: token, TTL_MS: String(TTL_MS), HEARTBEAT_MS: '500', GRACE_MS: '3000', TIMEOUT_MS: '15000' });
    children.set('http-app', app);
    const [, port] = await waitForOutput(app, /READY (\d+)/, 30_000);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(async () => statusOf(await get(`${base}/readyz`)) === 200 && statusOf(await get(`${base}/relay`)) === 200, {
      timeoutMs: 15_000,
      message: 'the HTTP app to be ready and to reach echo',
    });

    // slow calls in flight when the signal arrives: they outlive the grace period
    const slow = Array.from({ length: 3 }, () => get(`${base}/relay?delayMs=4000`));
    await waitUntil(
      async () => {
        const res = await get(`${base}/snapshot`);
        if (!('status' in res) || res.status !== 200) return false;
        const snapshot = JSON.parse(res.body) as { downstreams: Array<{ instances: Array<{ outstanding: number }> }> };
        return snapshot.downstreams[0].instances.reduce((sum, i) => sum + i.outstanding, 0) >= 3;
      },
      { timeoutMs: 10_000, message: 'the three slow calls to be in flight downstream' },
    );

    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
    app.kill('SIGTERM');
    // a load balancer in front: checks /readyz every 100 ms and stops sending after 2 failures in a row
    // (HAProxy's `fall 2`); until then 4 clients keep sending requests that each need the echo client
    const readyz: Array<number | string> = [];
    let outOfRotation = false;
    const balancer = (async () => {
      let failures = 0;
      while (!outOfRotation) {
        const status = statusOf(await get(`${base}/readyz`));
        readyz.push(status);
        failures = status === 200 ? 0 : failures + 1;
        if (failures >= 2) outOfRotation = true;
        else await sleep(100);
      }
    })();
    const streamed: HttpResult[] = [];
    const clients = Array.from({ length: 4 }, async () => {
      while (!outOfRotation) streamed.push(await get(`${base}/relay?delayMs=20`));
    });
    await Promise.all([balancer, ...clients]);
    const slowResults = await Promise.all(slow);

    expect({
      readyzNeither200Nor503: readyz.filter((s) => s !== 200 && s !== 503), // it said 503 (and still answered) before closing
      readyzLast: readyz.slice(-2),
      streamedNot200: streamed.map(statusOf).filter((s) => s !== 200), // served while draining: no 5xx, no reset
      slow: slowResults.map(statusOf), // in-flight calls completed
    }).toEqual({ readyzNeither200Nor503: [], readyzLast: [503, 503], streamedNot200: [], slow: [200, 200, 200] });
    expect(streamed.length).toBeGreaterThan(0);
    expect(slowResults.map((r) => JSON.parse((r as { body: string }).body).message)).toEqual(['via-http', 'via-http', 'via-http']);
    expect(await exit).toEqual({ code: 0, signal: null });
    await expect(get(`${base}/readyz`)).resolves.toHaveProperty('error');
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
