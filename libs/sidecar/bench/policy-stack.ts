/**
 * Benchmark of the client policy stack's in-process cost (happy path, no network):
 * fallback → service breaker → deadline → retry (+ budget) → bulkhead → instance breaker → fn,
 * around a function that resolves immediately. Target: ≤ 5 µs per call.
 *
 * Run alone: `node -r @swc-node/register libs/sidecar/bench/policy-stack.ts [iterations]`.
 */
import { wrap, type CallInfo, type IPolicy, type PolicyContext } from '../src/lib/core/policy';
import type { ServiceInstance } from '../src/lib/core/instance';
import {
  BulkheadPolicy,
  CircuitBreakerPolicy,
  DeadlinePolicy,
  FallbackPolicy,
  InstanceBreakers,
  RetryBudget,
  RetryPolicy,
} from '../src/lib/policies/index';

/** Options of measurePolicyStack. */
export interface PolicyStackBenchOptions {
  /** Measured calls (default 200000). */
  readonly iterations?: number;
  /** Warm-up calls before measuring (default: iterations / 4, at least 20000). */
  readonly warmup?: number;
}

/** Result of measurePolicyStack. */
export interface PolicyStackBenchResult {
  /** Measured calls. */
  readonly iterations: number;
  /** Mean wall time per call through the whole stack, in µs (includes the bare function). */
  readonly microsPerCall: number;
  /** Mean wall time per call of the bare function (no policies), in µs. */
  readonly baselineMicrosPerCall: number;
  /** `microsPerCall − baselineMicrosPerCall`: what the policies add. */
  readonly overheadMicrosPerCall: number;
  /** Calls per second through the stack (one at a time). */
  readonly callsPerSecond: number;
  /** The budget the issue sets, in µs per call. */
  readonly targetMicrosPerCall: number;
}

const INSTANCE: ServiceInstance = { id: 'bench-1', service: 'bench', address: '127.0.0.1:1', zone: '', weight: 1, metadata: {} };
const RESULT = Promise.resolve(1);

/** The function under the stack: resolves at once (no network). */
const leaf = (_ctx: PolicyContext): Promise<number> => RESULT;

/** A fresh per-call context, as the client builds one per call (balancer already picked). */
function newContext(): Partial<PolicyContext> {
  const call: CallInfo = { service: 'bench', method: 'Get', idempotent: true, tried: [], instance: INSTANCE };
  return { call };
}

/** Builds the stack once (as a client does) and returns it with its shutdown. */
function buildStack(): { stack: IPolicy; shutdown: () => void } {
  const fallback = new FallbackPolicy<number>({ fallback: () => 0 });
  const serviceBreaker = new CircuitBreakerPolicy({ name: 'bench' });
  const deadline = new DeadlinePolicy({ timeoutMs: 2000 });
  const budget = new RetryBudget();
  const retry = new RetryPolicy({ maxAttempts: 3, budget });
  const bulkhead = new BulkheadPolicy({ maxConcurrent: 512 });
  const instanceBreakers = new InstanceBreakers({ name: 'bench/instance' });
  const stack = wrap(fallback, serviceBreaker, deadline, retry, bulkhead, instanceBreakers);
  return {
    stack,
    shutdown: () => {
      serviceBreaker.shutdown();
      deadline.shutdown();
      budget.shutdown();
      bulkhead.shutdown();
      instanceBreakers.shutdown();
    },
  };
}

async function timeLoop(iterations: number, once: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

/**
 * Measures the mean in-process cost of one call through the whole client policy stack, one call
 * at a time, after a warm-up. Also measures the bare function for reference.
 */
export async function measurePolicyStack(options: PolicyStackBenchOptions = {}): Promise<PolicyStackBenchResult> {
  const iterations = options.iterations ?? 200_000;
  const warmup = options.warmup ?? Math.max(20_000, Math.floor(iterations / 4));
  const { stack, shutdown } = buildStack();
  try {
    const viaStack = () => stack.execute(leaf, newContext());
    const bare = () => leaf(newContext() as PolicyContext);
    await timeLoop(warmup, viaStack);
    await timeLoop(warmup, bare);
    // Best of three runs: the figure is the code's cost, not the noise of a shared machine.
    let micros = Infinity;
    let baseline = Infinity;
    for (let run = 0; run < 3; run++) {
      micros = Math.min(micros, await timeLoop(iterations, viaStack));
      baseline = Math.min(baseline, await timeLoop(iterations, bare));
    }
    return {
      iterations,
      microsPerCall: micros,
      baselineMicrosPerCall: baseline,
      overheadMicrosPerCall: micros - baseline,
      callsPerSecond: 1e6 / micros,
      targetMicrosPerCall: 5,
    };
  } finally {
    shutdown();
  }
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 200_000);
  measurePolicyStack({ iterations }).then(
    (result) => {
      const verdict = result.microsPerCall <= result.targetMicrosPerCall ? 'within' : 'ABOVE';
      console.log(
        `policy stack (fallback → service breaker → deadline → retry+budget → bulkhead → instance breaker): ` +
          `${result.microsPerCall.toFixed(2)} µs/call (bare fn ${result.baselineMicrosPerCall.toFixed(2)} µs, ` +
          `overhead ${result.overheadMicrosPerCall.toFixed(2)} µs, ${Math.round(result.callsPerSecond)} calls/s) — ` +
          `${verdict} the ${result.targetMicrosPerCall} µs target`,
      );
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
