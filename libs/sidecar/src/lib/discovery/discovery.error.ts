import { SidecarError } from '../core/sidecar.error';

/**
 * A discovery source (Redis, DNS) could not be read or written. Never thrown at callers of
 * `instances()` (they keep the last view): delivered through `onError` events so it can be
 * logged and counted.
 */
export class DiscoveryError extends SidecarError {
  /** @param message what failed (source, operation, service); @param cause the underlying error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('DISCOVERY_UNAVAILABLE', message, options);
  }
}

/** True when `error` is a DiscoveryError. */
export function isDiscoveryError(error: unknown): error is DiscoveryError {
  return error instanceof DiscoveryError;
}

/**
 * Settles like `promise`, or rejects with a DiscoveryError `${what} timed out after ${ms} ms`
 * when it takes longer (the underlying operation is not cancelled). The timer is unref'd.
 * @internal
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DiscoveryError(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Wraps any failure into a DiscoveryError with `message` (kept as is when already one). @internal */
export function toDiscoveryError(error: unknown, message: string): DiscoveryError {
  if (error instanceof DiscoveryError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new DiscoveryError(`${message}: ${detail}`, { cause: error });
}
