import type { Disposable } from '../core/event';
import type { Logger } from '../telemetry/logger';
import type { SignalHandlerOptions } from './server.types';

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129, SIGQUIT: 131 };

/** What signal handlers act on. */
export interface Drainable {
  /** Graceful drain. */
  drain(): Promise<void>;
  /** Immediate stop. */
  shutdown(): Promise<void>;
  /** Calls in flight (logged). */
  readonly inFlight: number;
}

/**
 * Drains `target` on the first signal and exits 0 (1 if draining failed) unless `exit: false`;
 * a second signal exits at once (128 + signal number). The Disposable removes the handlers.
 */
export function installSignalHandlers(target: Drainable, logger: Logger, options: SignalHandlerOptions = {}): Disposable {
  const exit = options.exit ?? true;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received > 1) {
      logger.warn('second signal while draining; exiting now', { signal, inFlight: target.inFlight });
      if (exit) process.exit(EXIT_CODES[signal] ?? 1);
      void target.shutdown();
      return;
    }
    logger.info('signal received; draining', { signal, inFlight: target.inFlight });
    target.drain().then(
      () => {
        if (exit) process.exit(0);
      },
      (error: unknown) => {
        logger.error('drain failed', { err: error });
        if (exit) process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return { dispose: () => signals.forEach((signal) => process.off(signal, onSignal)) };
}
