/** The client policies and their parts as the package exports them (see src/index.ts). */
export { isRetryableError, isServerFault, isDegradation } from './fault';
export { RollingWindow, type RollingWindowOptions, type RollingWindowSnapshot, type RollingRates } from './rolling-window';
export { DeadlinePolicy, type DeadlineOptions, type DeadlineTimeoutEvent } from './deadline.policy';
export { BulkheadPolicy, type BulkheadOptions, type BulkheadRejectEvent } from './bulkhead.policy';
export { ExponentialBackoff, isBackoff, type Backoff, type BackoffOptions, type JitterKind } from './backoff';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget';
export { RetryPolicy, type RetryOptions, type RetryEvent, type GiveUpEvent, type GiveUpReason, type BudgetExhaustedEvent } from './retry.policy';
export {
  CircuitBreakerPolicy,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitStats,
  type CircuitStateChangeEvent,
  type CircuitRejectEvent,
  type CircuitSuccessEvent,
  type CircuitFailureEvent,
} from './circuit-breaker.policy';
export { InstanceBreakers, type InstanceBreakersOptions, type InstanceEjectionEvent } from './instance-breakers';
export { FallbackPolicy, type FallbackOptions, type FallbackEvent } from './fallback.policy';
