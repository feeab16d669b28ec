import { StateError } from '../state.error';

/** Raised (instead of queueing) when a command is issued while Redis is unreachable and the offline queue is full. */
export class OfflineQueueFullError extends StateError {
  /** @param limit the configured `maxOfflineQueue`; @param command the rejected command name. */
  constructor(
    readonly limit: number,
    readonly command: string,
  ) {
    super(
      'OFFLINE_QUEUE_FULL',
      `redis is unreachable and ${limit} commands are already queued (maxOfflineQueue=${limit}); ` +
        `"${command}" was rejected instead of queued. Fail fast or serve a fallback, and retry after reconnection.`,
    );
  }
}

/** True when `error` is an OfflineQueueFullError. */
export function isOfflineQueueFullError(error: unknown): error is OfflineQueueFullError {
  return error instanceof OfflineQueueFullError;
}
