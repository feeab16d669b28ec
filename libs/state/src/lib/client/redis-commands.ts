import { Redis } from 'ioredis';

/**
 * The builtin Redis commands ioredis knows (its public `getBuiltinCommands()`), minus those a
 * facade handles itself: `multi` and `exec` (pipelines are recorded, see state-pipeline.ts).
 * Each also exists as `<name>Buffer` (replies as Buffers), and `call`/`callBuffer` send any command.
 */
export const FORWARDED_COMMANDS: readonly string[] = [
  ...Redis.prototype
    .getBuiltinCommands()
    .filter((name) => name !== 'multi' && name !== 'exec')
    .flatMap((name) => [name, `${name}Buffer`]),
  'call',
  'callBuffer',
];

/** A node-style callback passed as the last argument of a command (ioredis supports both styles). */
export type NodeCallback = (error: Error | null, result?: unknown) => void;

/** Splits a trailing callback off the arguments of a command. */
export function splitCallback(args: unknown[]): [unknown[], NodeCallback | undefined] {
  const last = args[args.length - 1];
  return typeof last === 'function' ? [args.slice(0, -1), last as NodeCallback] : [args, undefined];
}

/** Settles `callback` (if any) with `promise` and returns the promise. */
export function withCallback<T>(promise: Promise<T>, callback: NodeCallback | undefined): Promise<T> {
  if (callback) promise.then((result) => callback(null, result), (error: Error) => callback(error));
  return promise;
}
