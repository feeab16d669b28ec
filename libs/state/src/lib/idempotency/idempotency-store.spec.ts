import { sleep, waitUntil } from '@failsoft/testing';
import { ReplicatedServers, startReplicatedServers } from '../../../test/replicated-servers';
import { createRedisClient } from '../client/create-client';
import { StateRedis } from '../client/state-redis';
import { isInvalidArgumentError, isStateOptionsError } from '../state.error';
import { isIdempotencyError } from './idempotency.error';
import { IdempotencyStore } from './idempotency-store';

jest.setTimeout(30_000);

describe('IdempotencyStore (real master + 1 replica)', () => {
  let servers: ReplicatedServers;
  const clients: StateRedis[] = [];
  let store: IdempotencyStore;
  let otherProcessStore: IdempotencyStore;
  let n = 0;
  const key = (): string => `op-${++n}`;

  beforeAll(async () => {
    servers = await startReplicatedServers(1);
    for (let i = 0; i < 2; i++) clients.push(createRedisClient({ port: servers.master.port, errorLogIntervalMs: 60_000 }));
    store = new IdempotencyStore(clients[0]);
    // a second store on its own connection stands for another instance of the service
    otherProcessStore = new IdempotencyStore(clients[1]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await servers?.stop();
  });

  /** Waits until a run has claimed `key` (its pending marker is in Redis), instead of sleeping and hoping. */
  async function claimed(key: string): Promise<void> {
    await waitUntil(async () => (await store.get(key))?.state === 'pending', { timeoutMs: 5_000, message: `a pending claim on ${key}` });
  }

  it('runs once for concurrent callers with the same key and gives all of them the first result', async () => {
    const k = key();
    let runs = 0;
    const operation = async (caller: number) => {
      runs++;
      await sleep(100); // the operation's own work: the other callers arrive while it runs
      return { post: `post-${caller}`, at: 1 };
    };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, caller) => (caller % 2 === 0 ? store : otherProcessStore).run(k, () => operation(caller))),
    );
    expect(runs).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(results[0].post).toMatch(/^post-\d+$/);
    // later calls get it too, without running
    expect(await store.run(k, () => operation(99))).toEqual(results[0]);
    expect(runs).toBe(1);
    expect(await store.get(k)).toEqual({ state: 'done', result: results[0] });
  });

  it('keeps different keys independent and stores undefined as null', async () => {
    const [a, b] = [key(), key()];
    expect(await Promise.all([store.run(a, () => 'A'), store.run(b, () => 'B')])).toEqual(['A', 'B']);
    expect(await store.run(key(), () => undefined)).toBeNull();
  });

  it('does not cache failures: waiters get the failure, the next call runs again', async () => {
    const k = key();
    let runs = 0;
    const failing = async () => {
      runs++;
      await sleep(100);
      throw new Error('disk full');
    };
    const first = store.run(k, failing).catch((e: unknown) => e);
    await claimed(k);
    const waiter = otherProcessStore.run(k, failing).catch((e: unknown) => e);
    expect(((await first) as Error).message).toBe('disk full');
    const waited = await waiter;
    expect(isIdempotencyError(waited, 'IDEMPOTENCY_FIRST_RUN_FAILED')).toBe(true);
    expect((waited as Error).message).toBe(`the concurrent run for idempotency key "${k}" failed: disk full; calling again runs it again`);
    expect(runs).toBe(1);
    expect(await store.run(k, async () => ++runs)).toBe(2);
  });

  it('lets a waiter take over when the runner died (its claim expires)', async () => {
    const short = new IdempotencyStore(clients[0], { lockTtlMs: 300, waitTimeoutMs: 3000 });
    const k = key();
    // a runner that never finishes (its process "died" holding the claim)
    void short.run(k, () => new Promise(() => undefined));
    await claimed(k);
    expect(await new IdempotencyStore(clients[1], { lockTtlMs: 300 }).run(k, () => 'recovered')).toBe('recovered');
    expect(await store.get(k)).toEqual({ state: 'done', result: 'recovered' });
  });

  it('times out waiting for a long run, with a clear error', async () => {
    const impatient = new IdempotencyStore(clients[1], { waitTimeoutMs: 100 });
    const k = key();
    let finish: (value: number) => void = () => undefined;
    const slow = store.run(k, () => new Promise<number>((resolve) => (finish = resolve))); // runs until the waiter gave up
    await claimed(k);
    const error = await impatient.run(k, () => 2).catch((e: unknown) => e);
    finish(1);
    expect(isIdempotencyError(error, 'IDEMPOTENCY_WAIT_TIMEOUT')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`idempotency key "${k}" is still being processed by another caller after 100 ms`));
    expect(await slow).toBe(1);
  });

  it('refuses a key reused for a different request (fingerprint)', async () => {
    const k = key();
    expect(await store.run(k, () => 'created', { fingerprint: 'sha256:aaa' })).toBe('created');
    expect(await store.run(k, () => 'again', { fingerprint: 'sha256:aaa' })).toBe('created');
    const error = await store.run(k, () => 'other', { fingerprint: 'sha256:bbb' }).catch((e: unknown) => e);
    expect(isIdempotencyError(error, 'IDEMPOTENCY_KEY_REUSED')).toBe(true);
    expect((error as Error).message).toBe(
      `idempotency key "${k}" was first used for a different request (fingerprint "sha256:aaa", this one "sha256:bbb"); use a new key per distinct request`,
    );
  });

  it('reports a result that cannot be stored, and frees the key', async () => {
    const k = key();
    const error = await store.run(k, () => ({ big: BigInt(1) })).catch((e: unknown) => e);
    expect(isIdempotencyError(error, 'IDEMPOTENCY_RESULT_NOT_SERIALIZABLE')).toBe(true);
    expect(await store.get(k)).toBeUndefined();
  });

  it('validates keys, functions and options, naming the bad value', async () => {
    const bad: Array<[unknown, string]> = [
      ['', 'idempotency key must be 1-256 printable ASCII characters without spaces; got ""'],
      ['has space', 'idempotency key must be 1-256 printable ASCII characters without spaces; got "has space"'],
      [42, 'idempotency key must be 1-256 printable ASCII characters without spaces; got 42'],
    ];
    for (const [k, message] of bad) {
      const error = await store.run(k as string, () => 1).catch((e: unknown) => e);
      expect(isInvalidArgumentError(error)).toBe(true);
      expect((error as Error).message).toBe(message);
    }
    await expect(store.run('ok', 'nope' as never)).rejects.toThrow('idempotent operation must be a function; got "nope"');
    await expect(store.run('ok', () => 1, { ttlMs: -1 })).rejects.toThrow('idempotency run ttlMs must be an integer >= 1; got -1');
    let error: unknown;
    try {
      new IdempotencyStore(clients[0], { lockTtlMs: 0 });
    } catch (e) {
      error = e;
    }
    expect(isStateOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('idempotency.lockTtlMs must be an integer >= 10; got 0');
  });
});
