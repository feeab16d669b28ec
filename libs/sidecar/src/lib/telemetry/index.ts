export {
  SidecarMetrics,
  type SidecarMetricsOptions,
  type MetricsSource,
  DEFAULT_LATENCY_BUCKETS,
  statusLabel,
} from './metrics';
export { parseTraceparent, formatTraceparent, newTrace, childSpan, continueTrace, TRACE_FLAG_SAMPLED } from './trace-context';
export {
  createLogger,
  noopLogger,
  isLevelEnabled,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  type LogFields,
  type LogSink,
  type LoggerOptions,
} from './logger';
