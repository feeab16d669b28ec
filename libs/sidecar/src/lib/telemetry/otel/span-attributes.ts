/**
 * Attribute and event names of the sidecar's spans: OpenTelemetry semantic conventions where one
 * exists (rpc.*, server.address, http.*), `failsoft.*` for the resilience facts.
 */
export const SpanAttributes = {
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  grpcStatus: 'rpc.grpc.status_code',
  serverAddress: 'server.address',
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  /** Instance id of the downstream an attempt went to. */
  instance: 'failsoft.instance',
  /** Zone of that instance. */
  zone: 'failsoft.zone',
  /** Attempt number, 0 for the first. */
  attempt: 'failsoft.attempt',
  /** Why this attempt is a retry: the previous attempt's outcome (e.g. UNAVAILABLE). */
  retryReason: 'failsoft.retry.reason',
  /** Breaker state when the span started (service breaker on the call, instance breaker on an attempt). */
  breakerState: 'failsoft.breaker.state',
  /** Milliseconds left before the call's deadline when the attempt started. */
  deadlineLeftMs: 'failsoft.deadline.left_ms',
  /** True when the attempt failed with an injected fault. */
  faultInjected: 'failsoft.fault.injected',
  /** True when the call's fallback answered. */
  fallbackUsed: 'failsoft.fallback.used',
  /** Outcome label: OK, a gRPC status name or a sidecar error code. */
  outcome: 'failsoft.outcome',
  /** Admission of a served call: admitted, or the refusal reason (shed, draining, unauthenticated ...). */
  admission: 'failsoft.admission',
  /** Caller identity of a served call. */
  caller: 'failsoft.caller',
  /** Which breaker a transition event is about: service or instance. */
  breakerScope: 'failsoft.breaker.scope',
  breakerFrom: 'failsoft.breaker.from',
  breakerTo: 'failsoft.breaker.to',
  /** Durable write: the WAIT result (replicas that acknowledged) and the replicas asked for. */
  waitAcked: 'failsoft.redis.wait.acked',
  waitRequired: 'failsoft.redis.wait.required',
} as const;

/** Event names. */
export const SpanEvents = {
  /** A breaker changed state during the span (attributes: scope, from, to). */
  breakerTransition: 'breaker.transition',
} as const;
