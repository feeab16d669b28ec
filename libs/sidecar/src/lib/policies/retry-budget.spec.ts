import { isInvalidOptionsError } from '../core/sidecar.error';
import { RetryBudget } from './retry-budget';

function clock(start = 5_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RetryBudget', () => {
  it('starts with the reserve of minRetriesPerSecond × window seconds', () => {
    const budget = new RetryBudget({ minRetriesPerSecond: 2, windowMs: 10_000, now: clock().now });
    expect(budget.remaining).toBe(20);
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(20);
    expect(budget.canRetry()).toBe(false);
    expect(budget.remaining).toBe(0);
  });

  it('each request deposits ratio tokens and each retry withdraws one', () => {
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, now: clock().now });
    expect(budget.canRetry()).toBe(false);
    budget.recordRequest();
    expect(budget.remaining).toBe(0.5);
    expect(budget.tryWithdraw()).toBe(false);
    budget.recordRequest();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    expect(budget.counts()).toEqual({ requests: 2, retries: 1 });
  });

  it('caps retries at ratio × requests + reserve under sustained failure', () => {
    const c = clock();
    const ratio = 0.2;
    const budget = new RetryBudget({ ratio, minRetriesPerSecond: 10, windowMs: 10_000, now: c.now });
    let retries = 0;
    // 1000 failing requests over 5 s, each wanting 2 retries (maxAttempts 3)
    for (let i = 0; i < 1000; i++) {
      budget.recordRequest();
      for (let r = 0; r < 2; r++) if (budget.tryWithdraw()) retries++;
      c.advance(5);
    }
    const reserve = 10 * 10;
    expect(retries).toBeLessThanOrEqual(ratio * 1000 + reserve);
    expect(retries).toBeGreaterThanOrEqual(ratio * 1000 + reserve - 1);
    expect(retries).toBeLessThan(2000);
  });

  it('forgets requests and retries once they leave the window', () => {
    const c = clock();
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, windowMs: 1000, now: c.now });
    for (let i = 0; i < 10; i++) budget.recordRequest();
    for (let i = 0; i < 10; i++) expect(budget.tryWithdraw()).toBe(true);
    expect(budget.canRetry()).toBe(false);
    c.advance(1000);
    expect(budget.counts()).toEqual({ requests: 0, retries: 0 });
    budget.recordRequest();
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('shutdown clears the counts', () => {
    const budget = new RetryBudget({ now: clock().now });
    budget.recordRequest();
    budget.shutdown();
    expect(budget.counts().requests).toBe(0);
  });

  it.each([
    [{ ratio: -0.1 }, 'retryBudget.ratio must be a number from 0 to 10; got -0.1'],
    [{ minRetriesPerSecond: -1 }, 'retryBudget.minRetriesPerSecond must be a number from 0 to 1000000; got -1'],
    [{ windowMs: 500 }, 'retryBudget.windowMs must be an integer from 1000 to 3600000; got 500'],
    [{ windowMs: 1005 }, 'retryBudget.windowMs must be a multiple of 10; got 1005'],
    [{ now: 'x' }, 'retryBudget.now must be a function returning epoch ms; got "x"'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new RetryBudget(options as never)).toThrow(message);
    try {
      new RetryBudget(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
