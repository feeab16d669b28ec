import { Metadata } from '@grpc/grpc-js';
import { wrap, type CallInfo, type IPolicy, type PolicyContext, type PolicyFn } from '../core/policy';
import type { ServiceInstance } from '../core/instance';
import { SidecarError } from '../core/sidecar.error';
import { measurePolicyStack } from '../../../bench/policy-stack';
import { BulkheadPolicy } from './bulkhead.policy';
import { CircuitBreakerPolicy } from './circuit-breaker.policy';
import { DeadlinePolicy } from './deadline.policy';
import { FallbackPolicy } from './fallback.policy';
import { GrpcStatus } from './grpc-status';
import { InstanceBreakers } from './instance-breakers';
import { asPolicyContext } from './policy-context';
import { RetryBudget } from './retry-budget';
import { RetryPolicy } from './retry.policy';

const unavailable = (id: string) =>
  Object.assign(new Error(`${id} is down`), { code: GrpcStatus.UNAVAILABLE, details: `${id} is down`, metadata: new Metadata() });
const instance = (id: string): ServiceInstance => ({ id, service: 'likes', address: `${id}:1`, zone: '', weight: 1, metadata: {} });
const newCall = (): CallInfo => ({ service: 'likes', method: 'Counts', idempotent: true, tried: [] });

/**
 * A stand-in for the balancing layer (not part of this folder): round-robin over instances that
 * are neither ejected nor already tried by this call; records the pick in ctx.call.
 */
function balancer(ids: string[], breakers: InstanceBreakers): IPolicy {
  let next = 0;
  return {
    execute<T>(fn: PolicyFn<T>, context?: Partial<PolicyContext> | AbortSignal): Promise<T> {
      const ctx = asPolicyContext(context);
      const candidates = ids.filter((id) => !breakers.isEjected(id) && !ctx.call.tried.includes(id));
      if (candidates.length === 0) return Promise.reject(new SidecarError('NO_HEALTHY_INSTANCE', 'no instance left'));
      const id = candidates[next++ % candidates.length];
      ctx.call.tried.push(id);
      ctx.call.instance = instance(id);
      return Promise.resolve().then(() => fn(ctx));
    },
  };
}

describe('policy stack composition', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function build(ids: string[]) {
    const fallbacks: unknown[] = [];
    const fallback = new FallbackPolicy<string>({ fallback: () => 'cached' });
    fallback.onFallback(({ error }) => fallbacks.push(error));
    const serviceBreaker = new CircuitBreakerPolicy({ name: 'likes', volumeThreshold: 5, resetTimeoutMs: 5000 });
    const deadline = new DeadlinePolicy({ timeoutMs: 1000 });
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 10 });
    const retry = new RetryPolicy({ maxAttempts: 3, backoff: { initialDelayMs: 0, maxDelayMs: 0, jitter: 'none' }, budget });
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 100 });
    const instanceBreakers = new InstanceBreakers({ name: 'likes', volumeThreshold: 3, resetTimeoutMs: 3000 });
    instanceBreakers.retain(ids);
    const stack = wrap(fallback, serviceBreaker, deadline, retry, bulkhead, balancer(ids, instanceBreakers), instanceBreakers);
    const shutdown = () => {
      serviceBreaker.shutdown();
      deadline.shutdown();
      instanceBreakers.shutdown();
      budget.shutdown();
    };
    return { stack, serviceBreaker, instanceBreakers, fallbacks, shutdown };
  }

  it('runs outermost first: the service breaker sees one outcome per call, instance breakers one per attempt', async () => {
    const { stack, serviceBreaker, instanceBreakers, shutdown } = build(['a', 'b']);
    const down = new Set(['a']);
    const contexts: PolicyContext[] = [];
    const picks: Array<[number, string]> = [];
    const downstream = async (ctx: PolicyContext) => {
      contexts.push(ctx);
      const id = ctx.call.instance?.id as string;
      picks.push([ctx.attempt, id]);
      if (down.has(id)) throw unavailable(id);
      return `from ${id}`;
    };
    const call = newCall();
    await expect(stack.execute(downstream, { call })).resolves.toBe('from b');
    // retry (inside the deadline) moved to another instance: attempt 0 on a, attempt 1 on b
    expect(picks).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(call.tried).toEqual(['a', 'b']);
    // the deadline layer (inside the service breaker, outside retry) gave both attempts the same deadline
    expect(contexts[0].deadline).toBe(1_001_000);
    expect(contexts[1].deadline).toBe(1_001_000);
    expect(serviceBreaker.stats().fires).toBe(1);
    expect(serviceBreaker.stats().failures).toBe(0);
    expect(instanceBreakers.policyFor('a').stats().failures).toBe(1);
    expect(instanceBreakers.policyFor('b').stats().successes).toBe(1);
    shutdown();
  });

  it('the fallback (outermost) sees the error only after retries gave up', async () => {
    const { stack, fallbacks, shutdown } = build(['a', 'b', 'c']);
    let attempts = 0;
    const result = await stack.execute(
      async (ctx) => {
        attempts++;
        throw unavailable(ctx.call.instance?.id as string);
      },
      { call: newCall() },
    );
    expect(result).toBe('cached');
    expect(attempts).toBe(3);
    expect(fallbacks).toHaveLength(1);
    shutdown();
  });

  it('a deadline passing mid-call is raised through retry and breaker to the fallback', async () => {
    const { stack, fallbacks, shutdown } = build(['a']);
    const outcome = stack.execute(() => new Promise<string>(() => undefined), { call: newCall() });
    await jest.advanceTimersByTimeAsync(1000);
    await expect(outcome).resolves.toBe('cached');
    expect(fallbacks[0]).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    shutdown();
  });

  it('every instance failing → service breaker opens → fallbacks served → a half-open probe closes it after recovery', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    const { stack, serviceBreaker, instanceBreakers, fallbacks, shutdown } = build(ids);
    const down = new Set<string>();
    let downstreamCalls = 0;
    const downstream = async (ctx: PolicyContext) => {
      downstreamCalls++;
      const id = ctx.call.instance?.id as string;
      if (down.has(id)) throw unavailable(id);
      return `fresh from ${id}`;
    };
    const run = () => stack.execute(downstream, { call: newCall() });
    const ejected: string[] = [];
    const restored: string[] = [];
    instanceBreakers.onEject(({ instanceId }) => ejected.push(instanceId));
    instanceBreakers.onRestore(({ instanceId }) => restored.push(instanceId));

    // healthy
    for (let i = 0; i < 4; i++) await expect(run()).resolves.toMatch(/^fresh/);

    // everything fails
    ids.forEach((id) => down.add(id));
    const results: string[] = [];
    for (let i = 0; i < 20; i++) results.push(await run());
    expect(results.every((r) => r === 'cached')).toBe(true);
    expect(serviceBreaker.state).toBe('open');
    // ejection was capped: at least half of the instances stayed in rotation
    expect(instanceBreakers.ejectedCount).toBe(2);
    expect(ejected).toHaveLength(2);
    expect(fallbacks.some((e) => (e as { code?: unknown }).code === 'BROKEN_CIRCUIT')).toBe(true);

    // while open, calls are answered from the fallback without touching the downstream
    const before = downstreamCalls;
    await expect(run()).resolves.toBe('cached');
    expect(downstreamCalls).toBe(before);

    // recovery: after resetTimeout one probe goes through and closes the breaker
    ids.forEach((id) => down.delete(id));
    await jest.advanceTimersByTimeAsync(5000);
    expect(serviceBreaker.state).toBe('halfOpen');
    await expect(run()).resolves.toMatch(/^fresh/);
    expect(serviceBreaker.state).toBe('closed');
    for (let i = 0; i < 8; i++) await expect(run()).resolves.toMatch(/^fresh/);
    // ejected instances were probed and restored too
    expect(Object.values(instanceBreakers.states()).every((s) => s === 'closed')).toBe(true);
    expect([...restored].sort()).toEqual([...ejected].sort());
    shutdown();
  });

  it('measurePolicyStack returns figures (speed is not asserted)', async () => {
    jest.useRealTimers();
    const result = await measurePolicyStack({ iterations: 300, warmup: 100 });
    expect(result.iterations).toBe(300);
    expect(Number.isFinite(result.microsPerCall)).toBe(true);
    expect(result.microsPerCall).toBeGreaterThan(0);
    expect(result.baselineMicrosPerCall).toBeGreaterThan(0);
    expect(result.targetMicrosPerCall).toBe(5);
  });
});
