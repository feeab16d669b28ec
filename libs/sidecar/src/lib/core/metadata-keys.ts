/** gRPC metadata keys the sidecar reads and writes (lowercase, as gRPC requires). */
export const MetadataKeys = {
  /** `Bearer <shared token>` when mTLS is not configured. */
  authorization: 'authorization',
  /** Name of the calling service (identity claim; trusted only once authenticated). */
  caller: 'x-failsoft-caller',
  /** Instance id of the caller (for logs). */
  callerInstance: 'x-failsoft-caller-instance',
  /** W3C trace context. */
  traceparent: 'traceparent',
  /** Idempotency key of a non-idempotent call that may be retried. */
  idempotencyKey: 'x-idempotency-key',
  /** 0-based attempt number of this call (retries > 0). */
  attempt: 'x-failsoft-attempt',
  /**
   * Absolute deadline of this attempt in epoch ms, set by sidecar clients. `grpc-timeout` is
   * relative: a server that reads the call late (paused by SIGSTOP, stuck in GC) restarts its
   * clock and would see a fresh deadline. Servers take the earlier of the two, so work whose
   * caller has given up (and may have retried elsewhere) is refused or fenced (clocks are assumed
   * to be synchronised, as NTP does).
   */
  deadline: 'x-failsoft-deadline',
  /**
   * Trailer set by sidecar servers on calls they refused or failed on purpose: the SidecarErrorCode
   * of why (`DRAINING`, `BULKHEAD_REJECTED`, `DEADLINE_EXCEEDED`, `UNAUTHENTICATED`, `INJECTED_FAULT`).
   */
  error: 'x-failsoft-error',
} as const;
