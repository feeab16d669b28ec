import { InvalidArgumentError } from '../state.error';
import { show } from '../validate';

/** One argument of a Redis command. */
export type RedisArg = string | number | Buffer;

/** A Redis command as an array: name first, e.g. `['SET', 'key', 'value', 'PX', 1000]`. */
export type RedisCommand = readonly [string, ...RedisArg[]];

/** Commands that make no sense inside a durable/fenced write (they break its framing). */
const FORBIDDEN = new Set(['multi', 'exec', 'discard', 'wait', 'waitaof', 'watch', 'unwatch', 'subscribe', 'psubscribe', 'quit', 'shutdown']);

/**
 * Validates one command or a non-empty list of commands and returns the list.
 * @throws InvalidArgumentError naming `name`, the index and the bad value.
 */
export function normalizeCommands(name: string, input: unknown): RedisCommand[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new InvalidArgumentError(`${name} must be a command like ['SET', key, value] or a non-empty list of them; got ${show(input)}`);
  }
  const list = (typeof input[0] === 'string' ? [input] : input) as unknown[];
  return list.map((command, i) => {
    const where = list.length === 1 && typeof input[0] === 'string' ? name : `${name}[${i}]`;
    if (!Array.isArray(command) || command.length === 0 || typeof command[0] !== 'string' || !/^[A-Za-z][A-Za-z0-9._|-]*$/.test(command[0])) {
      throw new InvalidArgumentError(`${where} must be an array starting with a command name, e.g. ['SET', key, value]; got ${show(command)}`);
    }
    if (FORBIDDEN.has(command[0].toLowerCase())) {
      throw new InvalidArgumentError(`${where} may not be ${command[0].toUpperCase()} (the write is framed and WAITed for you); got ${show(command)}`);
    }
    command.forEach((arg: unknown, j: number) => {
      const ok = typeof arg === 'string' || Buffer.isBuffer(arg) || (typeof arg === 'number' && Number.isFinite(arg));
      if (!ok) throw new InvalidArgumentError(`${where} argument ${j} must be a string, a finite number or a Buffer; got ${show(arg)}`);
    });
    return command as unknown as RedisCommand;
  });
}
