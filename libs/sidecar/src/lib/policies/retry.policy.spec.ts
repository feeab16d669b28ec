import { Metadata } from '@grpc/grpc-js';
import { isInvalidOptionsError, SidecarError } from '../core/sidecar.error';
import type { CallInfo, PolicyContext } from '../core/policy';
import { ExponentialBackoff } from './backoff';
import { BrokenCircuitError } from './broken-circuit.error';
import { GrpcStatus } from './grpc-status';
import { RetryBudget } from './retry-budget';
import { RetryPolicy, type GiveUpReason } from './retry.policy';

const grpc = (code: number, details = `status ${code}`) => Object.assign(new Error(details), { code, details, metadata: new Metadata() });
const unavailable = () => grpc(GrpcStatus.UNAVAILABLE);
const call = (overrides: Partial<CallInfo> = {}): CallInfo => ({ service: 'likes', method: 'Like', idempotent: true, tried: [], ...overrides });
const noDelay = new ExponentialBackoff({ initialDelayMs: 0, maxDelayMs: 0, jitter: 'none' });

/** A function failing with `errors` in turn, then resolving 'ok'; records each context it gets. */
function script(...errors: unknown[]): jest.Mock<Promise<string>, [PolicyContext]> {
  let i = 0;
  return jest.fn(async (_ctx: PolicyContext) => {
    if (i < errors.length) throw errors[i++];
    return 'ok';
  });
}

describe('RetryPolicy', () => {
  afterEach(() => jest.useRealTimers());

  it('retries a retryable error on an idempotent call, incrementing attempt, keeping tried', async () => {
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: noDelay });
    const info = call();
    const fn = jest.fn(async (ctx: PolicyContext) => {
      ctx.call.tried.push(`instance-${ctx.attempt}`); // what the balancing layer does
      if (ctx.attempt < 2) throw unavailable();
      return `ok on ${ctx.attempt}`;
    });
    await expect(retry.execute(fn, { call: info })).resolves.toBe('ok on 2');
    expect(fn.mock.calls.map(([ctx]) => ctx.attempt)).toEqual([0, 1, 2]);
    expect(info.tried).toEqual(['instance-0', 'instance-1', 'instance-2']);
    expect(fn.mock.calls.every(([ctx]) => ctx.call === info)).toBe(true);
  });

  it('retries a non-idempotent call only when it carries an idempotency key', async () => {
    const retry = new RetryPolicy({ backoff: noDelay });
    const reasons: GiveUpReason[] = [];
    retry.onGiveUp((e) => reasons.push(e.reason));
    const plain = script(unavailable());
    await expect(retry.execute(plain, { call: call({ idempotent: false }) })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(plain).toHaveBeenCalledTimes(1);
    const keyed = script(unavailable());
    await expect(retry.execute(keyed, { call: call({ idempotent: false, idempotencyKey: 'k-1' }) })).resolves.toBe('ok');
    expect(keyed).toHaveBeenCalledTimes(2);
    expect(reasons).toEqual(['not-idempotent']);
  });

  it('does not retry non-retryable errors and raises them unchanged', async () => {
    const retry = new RetryPolicy({ backoff: noDelay });
    const notFound = grpc(GrpcStatus.NOT_FOUND);
    const fn = script(notFound);
    await expect(retry.execute(fn, { call: call() })).rejects.toBe(notFound);
    expect(fn).toHaveBeenCalledTimes(1);
    const serviceBreaker = new BrokenCircuitError('open', 'likes', 100);
    const fn2 = script(serviceBreaker);
    await expect(retry.execute(fn2, { call: call() })).rejects.toBe(serviceBreaker);
    expect(fn2).toHaveBeenCalledTimes(1);
  });

  it('retries per-instance rejections and NO_HEALTHY_INSTANCE', async () => {
    const retry = new RetryPolicy({ maxAttempts: 4, backoff: noDelay });
    const fn = script(
      new BrokenCircuitError('open', 'likes/1', 100, 'likes-1'),
      new SidecarError('NO_HEALTHY_INSTANCE', 'none'),
      grpc(GrpcStatus.RESOURCE_EXHAUSTED),
    );
    await expect(retry.execute(fn, { call: call() })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(4);
  });

  it('gives up after maxAttempts with the last error (unwrapped)', async () => {
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: noDelay });
    const errors = [unavailable(), unavailable(), grpc(GrpcStatus.UNAVAILABLE, 'third')];
    const fn = script(...errors, unavailable());
    const giveUps: Array<{ attempts: number; reason: GiveUpReason }> = [];
    retry.onGiveUp(({ attempts, reason }) => giveUps.push({ attempts, reason }));
    await expect(retry.execute(fn, { call: call() })).rejects.toBe(errors[2]);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(giveUps).toEqual([{ attempts: 3, reason: 'max-attempts' }]);
  });

  it('waits the backoff delay between attempts and reports it in onRetry', async () => {
    jest.useFakeTimers({ now: 0 });
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: { initialDelayMs: 100, multiplier: 2, jitter: 'none' } });
    const events: Array<{ attempt: number; delayMs: number }> = [];
    retry.onRetry(({ attempt, delayMs, error }) => {
      expect((error as { code: number }).code).toBe(GrpcStatus.UNAVAILABLE);
      events.push({ attempt, delayMs });
    });
    const fn = script(unavailable(), unavailable());
    const outcome = retry.execute(fn, { call: call() });
    await jest.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(fn).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(200);
    await expect(outcome).resolves.toBe('ok');
    expect(events).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
    ]);
  });

  it('does not retry when the backoff delay would not fit before the deadline', async () => {
    jest.useFakeTimers({ now: 10_000 });
    const retry = new RetryPolicy({ backoff: { initialDelayMs: 100, jitter: 'none' } });
    const reasons: GiveUpReason[] = [];
    retry.onGiveUp((e) => reasons.push(e.reason));
    const tight = script(unavailable());
    await expect(retry.execute(tight, { call: call(), deadline: 10_050 })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(tight).toHaveBeenCalledTimes(1);
    expect(reasons).toEqual(['deadline']);

    const roomy = script(unavailable());
    const outcome = retry.execute(roomy, { call: call(), deadline: 10_500 });
    await jest.advanceTimersByTimeAsync(100);
    await expect(outcome).resolves.toBe('ok');
  });

  it('stops when the signal aborts, before or during the backoff', async () => {
    jest.useFakeTimers({ now: 0 });
    const retry = new RetryPolicy({ backoff: { initialDelayMs: 1000, jitter: 'none' } });
    const reasons: GiveUpReason[] = [];
    retry.onGiveUp((e) => reasons.push(e.reason));

    const before = new AbortController();
    const error = unavailable();
    const fn = jest.fn(async () => {
      before.abort();
      throw error;
    });
    await expect(retry.execute(fn, { call: call(), signal: before.signal })).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);

    const during = new AbortController();
    const fn2 = script(unavailable());
    const outcome = retry.execute(fn2, { call: call(), signal: during.signal });
    outcome.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(10);
    during.abort();
    await expect(outcome).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(fn2).toHaveBeenCalledTimes(1);
    expect(reasons).toEqual(['aborted', 'aborted']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('spends the budget: records one request per call and refuses retries once it is empty', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000 }); // reserve: 1 retry
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: noDelay, budget });
    const exhausted: number[] = [];
    retry.onBudgetExhausted((e) => exhausted.push(e.attempts));
    const fn = script(unavailable(), unavailable(), unavailable());
    await expect(retry.execute(fn, { call: call() })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(exhausted).toEqual([2]);
    expect(budget.counts()).toEqual({ requests: 1, retries: 1 });
  });

  it('under sustained failure, retries stay within ratio × requests + reserve', async () => {
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 });
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: noDelay, budget });
    let attempts = 0;
    const fn = async () => {
      attempts++;
      throw unavailable();
    };
    for (let i = 0; i < 1000; i++) await retry.execute(fn, { call: call() }).catch(() => undefined);
    const retries = attempts - 1000;
    expect(retries).toBeLessThanOrEqual(0.2 * 1000 + 100);
    expect(retries).toBeGreaterThan(0);
  });

  it('uses a custom isRetryable with the context', async () => {
    const isRetryable = jest.fn((error: unknown, ctx: PolicyContext) => (error as Error).message === 'flaky' && ctx.call.method === 'Like');
    const retry = new RetryPolicy({ backoff: noDelay, isRetryable });
    await expect(retry.execute(script(new Error('flaky')), { call: call() })).resolves.toBe('ok');
    expect(isRetryable).toHaveBeenCalledTimes(1);
  });

  it.each([
    [{ maxAttempts: -1 }, 'retry.maxAttempts must be an integer from 1 to 10; got -1'],
    [{ maxAttempts: 11 }, 'retry.maxAttempts must be an integer from 1 to 10; got 11'],
    [{ maxAttempts: 2.5 }, 'retry.maxAttempts must be an integer from 1 to 10; got 2.5'],
    [{ backoff: 5 }, 'retry.backoff must be a Backoff or backoff options; got 5'],
    [{ backoff: { multiplier: 0 } }, 'backoff.multiplier must be a number from 1 to 100; got 0'],
    [{ budget: { ratio: 1 } }, 'retry.budget must be a RetryBudget; got {"ratio":1}'],
    [{ isRetryable: true }, 'retry.isRetryable must be a function (error, context) => boolean; got true'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new RetryPolicy(options as never)).toThrow(message);
    try {
      new RetryPolicy(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
