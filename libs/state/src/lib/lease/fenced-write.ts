import type { RedisConnection } from '../client/redis-connection';
import { DurableWriter } from '../durable/durable-writer';
import { DurableOptions } from '../durable/durable.options';
import { RedisArg, RedisCommand, normalizeCommands } from '../durable/redis-command';
import { evalScript } from '../script';
import { InvalidArgumentError } from '../state.error';
import { show } from '../validate';
import { FencingError } from './fencing.error';
import { FENCED_WRITE_SCRIPT } from './lease.scripts';
import { assertLeaseName, leaseKeys } from './lease.options';

/** Options of {@link fencedWrite}. */
export interface FencedWriteOptions {
  /** Key prefix of the lease (default `failsoft:lease:`; must match the lease's). */
  keyPrefix?: string;
  /** Confirm the write with WAIT (default: writer defaults); `false` for a plain write. */
  durable?: DurableOptions | false;
}

/** Checks a fencing token: a positive safe integer. */
export function assertToken(token: unknown): number {
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 1) {
    throw new InvalidArgumentError(`fencing token must be a positive integer (Lease.token); got ${show(token)}`);
  }
  return token;
}

/**
 * Runs `commands` atomically ONLY IF `token` is the newest fencing token of lease `leaseName`,
 * in a Lua script on the master: a holder that lost its lease (paused, partitioned, slow) and
 * still believes it leads cannot overwrite the work of the new leader. Each command's first
 * argument must be its key (e.g. `['SET', key, value]`, `['HSET', key, field, value]`,
 * `['XADD', key, '*', field, value]`). Returns the replies of the commands.
 * @throws FencingError (`STALE_FENCING_TOKEN`) when the token is not the newest; DurabilityError
 *   when durable and not confirmed; InvalidArgumentError for bad arguments.
 */
export async function fencedWrite<T extends unknown[] = unknown[]>(
  client: RedisConnection,
  leaseName: string,
  token: number,
  commands: RedisCommand | readonly RedisCommand[],
  options: FencedWriteOptions = {},
): Promise<T> {
  assertLeaseName(leaseName, 'fencedWrite leaseName');
  assertToken(token);
  const list = normalizeCommands('fencedWrite commands', commands);
  const keys: string[] = [];
  const args: RedisArg[] = [token, list.length];
  list.forEach((command, i) => {
    const [name, key, ...rest] = command;
    if (typeof key !== 'string' || key === '') {
      throw new InvalidArgumentError(`fencedWrite commands[${i}] must have its key (a non-empty string) as first argument; got ${show(command)}`);
    }
    keys.push(key);
    args.push(rest.length, name, ...rest);
  });
  const { fence } = leaseKeys(options.keyPrefix ?? 'failsoft:lease:', leaseName);
  const allKeys = [fence, ...keys];
  const reply =
    options.durable === false
      ? await evalScript<unknown[]>(client, FENCED_WRITE_SCRIPT, allKeys, args)
      : (await new DurableWriter(client, options.durable ?? {}).eval<unknown[]>(FENCED_WRITE_SCRIPT, allKeys, args)).result;
  if (Number(reply[0]) !== 1) throw new FencingError(leaseName, token, Number(reply[1]));
  return reply.slice(2) as T;
}
