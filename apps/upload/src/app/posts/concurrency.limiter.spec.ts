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
