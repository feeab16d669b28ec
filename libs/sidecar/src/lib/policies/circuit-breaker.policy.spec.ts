import { Metadata } from '@grpc/grpc-js';
import { isInvalidOptionsError } from '../core/sidecar.error';
import type { CallInfo } from '../core/policy';
import { BrokenCircuitError, isBrokenCircuitError } from './broken-circuit.error';
import { CircuitBreakerPolicy, type CircuitState } from './circuit-breaker.policy';
import { DeadlineExceededError } from './deadline-exceeded.error';
import { GrpcStatus } from './grpc-status';

const grpc = (code: number) => Object.assign(new Error(`status ${code}`), { code, details: '', metadata: new Metadata() });
const call = (): CallInfo => ({ service: 'likes', method: 'Like', idempotent: true, tried: [] });
const fail = (error: unknown) => async (): Promise<never> => {
  throw error;
};

describe('CircuitBreakerPolicy', () => {
  let breakers: CircuitBreakerPolicy[] = [];
  const make = (options: ConstructorParameters<typeof CircuitBreakerPolicy>[0] = {}) => {
    const breaker = new CircuitBreakerPolicy({ name: 'likes', volumeThreshold: 5, resetTimeoutMs: 1000, ...options });
    breakers.push(breaker);
    return breaker;
  };

  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => {
    breakers.forEach((b) => b.shutdown());
    breakers = [];
    expect(jest.getTimerCount()).toBe(0); // every opossum timer is gone after shutdown
    jest.useRealTimers();
  });

  async function trip(breaker: CircuitBreakerPolicy, n = 5): Promise<void> {
    for (let i = 0; i < n; i++) await breaker.execute(fail(grpc(GrpcStatus.UNAVAILABLE))).catch(() => undefined);
  }

  it('stays closed below the volume threshold, opens past the error threshold', async () => {
    const breaker = make();
    const changes: Array<[CircuitState, CircuitState]> = [];
    breaker.onStateChange(({ from, to }) => changes.push([from, to]));
    await trip(breaker, 4);
    expect(breaker.state).toBe('closed');
    await trip(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('does not open when failures stay under errorThresholdPercentage', async () => {
    const breaker = make({ errorThresholdPercentage: 50 });
    for (let i = 0; i < 10; i++) {
      await breaker.execute(async () => 'ok');
      if (i % 3 === 0) await trip(breaker, 1);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().failures).toBe(4);
    expect(breaker.stats().successes).toBe(10);
  });

  it('rejects fast while open without running fn, naming the breaker', async () => {
    const breaker = make();
    await trip(breaker);
    const rejects: string[] = [];
    breaker.onReject((e) => rejects.push(`${e.breaker}:${e.call.method}`));
    const fn = jest.fn(async () => 'ran');
    jest.advanceTimersByTime(400);
    const error = await breaker.execute(fn, { call: call() }).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(error).toMatchObject({ code: 'BROKEN_CIRCUIT', breaker: 'likes', retryAfterMs: 600 });
    expect((error as Error).message).toContain('"likes"');
    expect(rejects).toEqual(['likes:Like']);
    expect(breaker.stats().rejects).toBe(1);
  });

  it('lets exactly one probe through after resetTimeout; a successful probe closes it', async () => {
    const breaker = make();
    const changes: CircuitState[] = [];
    breaker.onStateChange(({ to }) => changes.push(to));
    await trip(breaker);
    expect(breaker.acceptsCalls).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.acceptsCalls).toBe(true);

    let release!: (value: string) => void;
    const probe = breaker.execute(() => new Promise<string>((resolve) => (release = resolve)));
    expect(breaker.acceptsCalls).toBe(false);
    const second = jest.fn(async () => 'second');
    await expect(breaker.execute(second)).rejects.toMatchObject({ code: 'BROKEN_CIRCUIT' });
    expect(second).not.toHaveBeenCalled();
    release('recovered');
    await expect(probe).resolves.toBe('recovered');
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(async () => 'normal')).resolves.toBe('normal');
    expect(changes).toEqual(['open', 'halfOpen', 'closed']);
  });

  it('a failed probe opens it again for another resetTimeout', async () => {
    const breaker = make();
    await trip(breaker);
    jest.advanceTimersByTime(1000);
    await expect(breaker.execute(fail(grpc(GrpcStatus.INTERNAL)))).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(999);
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breaker.state).toBe('halfOpen');
  });

  it('does not count client errors (they count as successes)', async () => {
    const breaker = make();
    for (const code of [GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.ALREADY_EXISTS, GrpcStatus.PERMISSION_DENIED, GrpcStatus.UNAUTHENTICATED]) {
      for (let i = 0; i < 3; i++) await expect(breaker.execute(fail(grpc(code)))).rejects.toMatchObject({ code });
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().failures).toBe(0);
  });

  it('counts server faults and non-gRPC errors, not refused deadlines', async () => {
    const breaker = make({ volumeThreshold: 1, errorThresholdPercentage: 10 });
    await breaker.execute(fail(new DeadlineExceededError('refused', 0, true))).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail(new Error('ECONNRESET'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('counts any error arriving after the call deadline (e.g. a cancelled probe) as a failure', async () => {
    const breaker = make({ volumeThreshold: 1, errorThresholdPercentage: 10 });
    await breaker.execute(fail(grpc(GrpcStatus.CANCELLED)), { call: call(), deadline: 5 }).catch(() => undefined);
    expect(breaker.state).toBe('closed'); // now (0) is before the deadline
    jest.advanceTimersByTime(10);
    await breaker.execute(fail(grpc(GrpcStatus.CANCELLED)), { call: call(), deadline: 5 }).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('uses a custom isFailure', async () => {
    const breaker = make({ volumeThreshold: 1, errorThresholdPercentage: 10, isFailure: (e) => (e as Error).message === 'bad' });
    await breaker.execute(fail(grpc(GrpcStatus.UNAVAILABLE))).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail(new Error('bad'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('honours a canOpen veto', async () => {
    let allow = false;
    const breaker = make({ canOpen: () => allow });
    await trip(breaker, 10);
    expect(breaker.state).toBe('closed');
    allow = true;
    await trip(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('reports success and failure events only to listeners', async () => {
    const breaker = make();
    const seen: string[] = [];
    breaker.onSuccess(() => seen.push('success'));
    const sub = breaker.onFailure((e) => seen.push(`failure:${(e.error as { code: number }).code}`));
    await breaker.execute(async () => 1);
    await trip(breaker, 1);
    sub.dispose();
    await trip(breaker, 1);
    expect(seen).toEqual(['success', 'failure:14']);
  });

  it('rejects with BrokenCircuitError after shutdown', async () => {
    const breaker = make();
    breaker.shutdown();
    const error = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect((error as Error).message).toMatch(/shut down/);
  });

  it('passes the per-instance id into its rejections', async () => {
    const breaker = make({ name: 'likes/likes-1', instanceId: 'likes-1' });
    await trip(breaker);
    await expect(breaker.execute(async () => 1)).rejects.toMatchObject({ instanceId: 'likes-1', breaker: 'likes/likes-1' });
  });

  it('can be forced open and closed', async () => {
    const breaker = make();
    breaker.open();
    expect(breaker.state).toBe('open');
    breaker.close();
    expect(breaker.state).toBe('closed');
  });

  it.each([
    [{ errorThresholdPercentage: 0 }, 'circuitBreaker.errorThresholdPercentage must be a number from 1 to 100; got 0'],
    [{ errorThresholdPercentage: 101 }, 'circuitBreaker.errorThresholdPercentage must be a number from 1 to 100; got 101'],
    [{ volumeThreshold: -1 }, 'circuitBreaker.volumeThreshold must be an integer from 0 to 1000000; got -1'],
    [{ resetTimeoutMs: 0 }, 'circuitBreaker.resetTimeoutMs must be an integer from 1 to 2147483647; got 0'],
    [{ rollingCountTimeoutMs: 5 }, 'circuitBreaker.rollingCountTimeoutMs must be an integer from 10 to 86400000; got 5'],
    [{ rollingCountBuckets: 0 }, 'circuitBreaker.rollingCountBuckets must be an integer from 1 to 1000; got 0'],
    [{ rollingCountTimeoutMs: 1000, rollingCountBuckets: 7 }, 'circuitBreaker.rollingCountTimeoutMs must be a multiple of circuitBreaker.rollingCountBuckets (7); got 1000'],
    [{ isFailure: 'yes' }, 'circuitBreaker.isFailure must be a function (error) => boolean; got "yes"'],
    [{ name: '' }, 'circuitBreaker.name must be a non-empty string; got ""'],
    [{ instanceId: '' }, 'circuitBreaker.instanceId must be a non-empty string; got ""'],
    [{ canOpen: 1 }, 'circuitBreaker.canOpen must be a function () => boolean; got 1'],
    [{ rotateBucketController: {} }, 'circuitBreaker.rotateBucketController must be an EventEmitter; got {}'],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new CircuitBreakerPolicy(options as never)).toThrow(message);
    try {
      new CircuitBreakerPolicy(options as never);
    } catch (error) {
      expect(isInvalidOptionsError(error)).toBe(true);
    }
  });
});
