import type { ChainableCommander, Redis } from 'ioredis';
import { FORWARDED_COMMANDS, splitCallback, withCallback, type NodeCallback } from './redis-commands';

/** The result of `exec()` on a pipeline (one `[error, result]` per command), as ioredis types it. */
export type PipelineResult = [error: Error | null, result: unknown][] | null;

/** Sends a recorded pipeline: at once when connected, else through the bounded offline queue. */
export interface PipelineRunner {
  runPipeline(pipeline: RecordedPipeline): Promise<PipelineResult>;
}

/**
 * A pipeline (or MULTI transaction) of a {@link StateRedis}: its commands are recorded, and
 * `exec()` hands them to the client as ONE unit, so a transaction is admitted into the offline
 * queue or rejected as a whole, and sent on one ioredis pipeline (`replayOn`) once connected.
 * Typed as ioredis' `ChainableCommander` (every command chains; `exec()` sends).
 */
export class RecordedPipeline {
  /** The recorded commands, in order: [ioredis method name, arguments]. */
  readonly commands: Array<[string, unknown[]]> = [];

  /**
   * @param runner the client that sends it.
   * @param transaction true for MULTI/EXEC (`multi()`), false for a plain pipeline.
   * @param initial commands given up front (`pipeline([['set', 'k', 'v']])`), as ioredis takes them.
   */
  constructor(
    private readonly runner: PipelineRunner,
    readonly transaction: boolean,
    initial: unknown[][] = [],
  ) {
    for (const [name, ...args] of initial) this.commands.push([String(name), args]);
  }

  /** Commands recorded so far. */
  get length(): number {
    return this.commands.length;
  }

  /** Sends the recorded commands (see the class). */
  exec(callback?: NodeCallback): Promise<PipelineResult> {
    return withCallback(this.runner.runPipeline(this), callback);
  }

  /** Builds the equivalent ioredis pipeline on `connection` and executes it. */
  replayOn(connection: Redis): Promise<PipelineResult> {
    const pipeline = (this.transaction ? connection.multi() : connection.pipeline()) as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const [name, args] of this.commands) pipeline[name](...args);
    return (pipeline as unknown as ChainableCommander).exec();
  }
}

for (const name of FORWARDED_COMMANDS) {
  Object.defineProperty(RecordedPipeline.prototype, name, {
    configurable: true,
    writable: true,
    value: function record(this: RecordedPipeline, ...input: unknown[]): RecordedPipeline {
      const [args, callback] = splitCallback(input);
      if (callback) throw new TypeError(`a callback on pipeline command "${name}" is not supported; pass one to exec()`);
      this.commands.push([name, args]);
      return this;
    },
  });
}

/** Creates a recorded pipeline typed as ioredis' chainable pipeline. */
export function recordPipeline(runner: PipelineRunner, transaction: boolean, initial?: unknown[][]): ChainableCommander {
  return new RecordedPipeline(runner, transaction, initial) as unknown as ChainableCommander;
}
