/** Everything of the policies folder, internals included (for this library's own benches and tests). */
export * from './public';
export { GrpcStatus, type GrpcStatusCode, type GrpcErrorLike, retryableGrpcCodes, serverFaultGrpcCodes, isGrpcError, grpcStatusOf } from './grpc-status';
export { asPolicyContext, isContextAborted, AttemptContext, peekAborted } from './policy-context';
export { DeadlineExceededError, isDeadlineExceededError } from './deadline-exceeded.error';
export { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected.error';
export { BrokenCircuitError, isBrokenCircuitError } from './broken-circuit.error';
export { type RollingCounter, type RollingEvent } from './rolling-window';
export { DeadlineScheduler, type Expirable } from './deadline-scheduler';
