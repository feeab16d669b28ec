import { ConcurrencyLimiter } from './concurrency.limiter';

/** A promise resolved from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once, in arrival order, and passes slots on after failures', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    const results = gates.map((gate, i) =>
      limiter
        .run(async () => {
          started.push(i);
          await gate.promise;
          if (i === 1) throw new Error('task 1 failed');
          return i;
        })
        .catch((error: Error) => error.message),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect([limiter.running, limiter.queued]).toEqual([2, 3]);
    gates[1].resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.running).toBe(2);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(results)).toEqual([0, 'task 1 failed', 2, 3, 4]);
    expect([limiter.running, limiter.queued]).toEqual([0, 0]);
  });

  it('rejects a bad limit', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow('ConcurrencyLimiter: limit must be an integer >= 1, got 0');
  });
});

describe('ConcurrencyLimiter queue bound and deadlines', () => {
  it('refuses at once beyond maxQueued waiting tasks (QUEUE_FULL), and runs the others', async () => {
    const limiter = new ConcurrencyLimiter(1, 2);
    const gate = deferred();
    const runs = [0, 1, 2].map((i) => limiter.run(async () => (await gate.promise, i)));
    await expect(limiter.run(async () => 'never')).rejects.toMatchObject({ name: 'QueueRejectedError', code: 'QUEUE_FULL' });
    expect([limiter.running, limiter.queued]).toEqual([1, 2]);
    gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
  });

  it('drops a waiting task whose signal aborts (its deadline passed) without running it, and one aborted before it came', async () => {
    const limiter = new ConcurrencyLimiter(1, 10);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const late = limiter.run(async () => (ran = true), controller.signal);
    const next = limiter.run(async () => 'next');
    expect(limiter.queued).toBe(2);
    controller.abort();
    await expect(late).rejects.toMatchObject({ code: 'EXPIRED_IN_QUEUE' });
    expect(limiter.queued).toBe(1);
    gate.resolve();
    await first;
    expect(await next).toBe('next');
    expect(ran).toBe(false);
    expect([limiter.running, limiter.queued]).toEqual([0, 0]);
    await expect(limiter.run(async () => 'x', AbortSignal.abort())).rejects.toMatchObject({ code: 'EXPIRED_IN_QUEUE' });
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow(/maxQueued/);
  });
});
