export { GrpcStatus, type GrpcStatusCode, type GrpcErrorLike, retryableGrpcCodes, serverFaultGrpcCodes, isGrpcError, grpcStatusOf } from './grpc-status';
export { isRetryableError, isServerFault, isDegradation } from './fault';
export { asPolicyContext, isContextAborted, AttemptContext, peekAborted } from './policy-context';
export { DeadlineExceededError, isDeadlineExceededError } from './deadline-exceeded.error';
export { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected.error';
export { BrokenCircuitError, isBrokenCircuitError } from './broken-circuit.error';
export { RollingWindow, type RollingWindowOptions, type RollingWindowSnapshot, type RollingCounter, type RollingEvent, type RollingRates } from './rolling-window';
export { DeadlineScheduler, type Expirable } from './deadline-scheduler';
export { DeadlinePolicy, type DeadlineOptions, type DeadlineTimeoutEvent } from './deadline.policy';
export { BulkheadPolicy, type BulkheadOptions, type BulkheadRejectEvent } from './bulkhead.policy';
export { ExponentialBackoff, isBackoff, type Backoff, type BackoffOptions, type JitterKind } from './backoff';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget';
export {
  RetryPolicy,
  type RetryOptions,
  type RetryEvent,
  type GiveUpEvent,
  type GiveUpReason,
  type BudgetExhaustedEvent,
} from './retry.policy';
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
