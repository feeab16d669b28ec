import { runInCallScope } from '../core/call-scope';
import { isInvalidOptionsError } from '../core/sidecar.error';
import type { CallInfo, PolicyContext } from '../core/policy';
import { DeadlineExceededError, isDeadlineExceededError } from './deadline-exceeded.error';
import { DeadlinePolicy } from './deadline.policy';
import { isContextAborted } from './policy-context';

const call = (): CallInfo => ({ service: 'likes', method: 'Like', idempotent: true, tried: [] });
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('DeadlinePolicy', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('hands inward a deadline of now + timeoutMs', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 300 });
    let seen: PolicyContext | undefined;
    await policy.execute((ctx) => {
      seen = ctx;
      return 'ok';
    });
    expect(seen?.deadline).toBe(1_000_300);
    expect(seen?.attempt).toBe(0);
  });

  it('keeps an earlier outer deadline and the call info', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 300 });
    const info = call();
    const deadline = await policy.execute((ctx) => {
      expect(ctx.call).toBe(info);
      return ctx.deadline;
    }, { call: info, deadline: 1_000_100 });
    expect(deadline).toBe(1_000_100);
  });

  it('inherits the incoming call deadline when inherit is on, and not when off', async () => {
    const inherit = new DeadlinePolicy({ timeoutMs: 5000 });
    const ignore = new DeadlinePolicy({ timeoutMs: 5000, inherit: false });
    const scope = { deadline: 1_000_050 };
    const inherited = await runInCallScope(scope, () => inherit.execute((ctx) => ctx.deadline));
    const ignored = await runInCallScope(scope, () => ignore.execute((ctx) => ctx.deadline));
    expect(inherited).toBe(1_000_050);
    expect(ignored).toBe(1_005_000);
  });

  it('refuses a call whose deadline already passed without running it', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 1000 });
    const fn = jest.fn(() => 'ran');
    const timeouts: boolean[] = [];
    policy.onTimeout((e) => timeouts.push(e.refused));
    const outcome = policy.execute(fn, { call: call(), deadline: 999_990 });
    await expect(outcome).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(outcome).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', refused: true });
    await expect(runInCallScope({ deadline: 1_000_000 }, () => policy.execute(fn))).rejects.toMatchObject({ refused: true });
    expect(fn).not.toHaveBeenCalled();
    expect(timeouts).toEqual([true, true]);
  });

  it('rejects at the deadline even when fn ignores its signal, and aborts the signal', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 200 });
    let inner: AbortSignal | undefined;
    const events: number[] = [];
    policy.onTimeout((e) => events.push(e.deadline));
    const outcome = policy.execute((ctx) => {
      inner = ctx.signal;
      return never<string>();
    });
    const settled = jest.fn();
    outcome.catch(settled);
    jest.advanceTimersByTime(199);
    await Promise.resolve();
    expect(settled).not.toHaveBeenCalled();
    expect(inner?.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    await expect(outcome).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', refused: false });
    expect(inner?.aborted).toBe(true);
    expect(isDeadlineExceededError(inner?.reason)).toBe(true);
    expect(events).toEqual([1_000_200]);
  });

  it('aborts the inner signal when the outer signal aborts', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 10_000 });
    const outer = new AbortController();
    const outcome = policy.execute(
      (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
      { call: call(), signal: outer.signal },
    );
    outer.abort(new Error('caller gave up'));
    await expect(outcome).rejects.toThrow('caller gave up');
  });

  it('aborts the inner signal when the incoming call is cancelled', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 10_000 });
    const incoming = new AbortController();
    let inner: AbortSignal | undefined;
    void runInCallScope({ deadline: Infinity, signal: incoming.signal }, () =>
      policy.execute((ctx) => {
        inner = ctx.signal;
        return never();
      }),
    );
    incoming.abort(new Error('client cancelled'));
    expect(inner?.aborted).toBe(true);
    expect((inner?.reason as Error).message).toBe('client cancelled');
  });

  it('refuses to start when the outer signal is already aborted', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 10_000 });
    const outer = new AbortController();
    outer.abort(new Error('gone'));
    const fn = jest.fn();
    await expect(policy.execute(fn, outer.signal)).rejects.toThrow('gone');
    expect(fn).not.toHaveBeenCalled();
  });

  it('creates the signal lazily; peeking does not create it; read after the deadline it is aborted', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 100 });
    let ctxSeen: PolicyContext | undefined;
    const outcome = policy.execute((ctx) => {
      ctxSeen = ctx;
      return never();
    });
    outcome.catch(() => undefined);
    expect(isContextAborted(ctxSeen as PolicyContext)).toBe(false);
    jest.advanceTimersByTime(100);
    expect(isContextAborted(ctxSeen as PolicyContext)).toBe(true);
    expect((ctxSeen as unknown as { controller?: AbortController }).controller).toBeUndefined();
    expect(ctxSeen?.signal.aborted).toBe(true);
    expect((ctxSeen as unknown as { controller?: AbortController }).controller).toBeDefined();
  });

  it('passes results and errors through and stops tracking finished calls', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 1000 });
    await expect(policy.execute(async () => 7)).resolves.toBe(7);
    await expect(policy.execute(() => Promise.reject(new Error('inner')))).rejects.toThrow('inner');
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(policy.scheduler.size).toBe(0);
  });

  it('uses one timer for many concurrent calls', async () => {
    const policy = new DeadlinePolicy({ timeoutMs: 1000 });
    const calls = Array.from({ length: 100 }, () => policy.execute(() => never()));
    calls.forEach((c) => c.catch(() => undefined));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    policy.shutdown();
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each([
    [{ timeoutMs: 0 }, 'deadline.timeoutMs must be a number from 1 to 2147483647; got 0'],
    [{ timeoutMs: -5 }, 'deadline.timeoutMs must be a number from 1 to 2147483647; got -5'],
    [{ timeoutMs: '100' }, 'deadline.timeoutMs must be a number from 1 to 2147483647; got "100"'],
    [{ timeoutMs: 100, inherit: 'yes' }, 'deadline.inherit must be a boolean; got "yes"'],
    [undefined, 'deadline must be an object; got undefined'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new DeadlinePolicy(options as never)).toThrow(message);
    try {
      new DeadlinePolicy(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
