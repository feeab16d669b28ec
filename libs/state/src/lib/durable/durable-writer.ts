import { Redis } from 'ioredis';
import { StateRedis } from '../client/state-redis';
import { scriptSha } from '../script';
import { InvalidOptionsError, ShutDownError } from '../state.error';
import { DurabilityError } from './durability.error';
import { DurableOptions, ResolvedDurableOptions, resolveDurableOptions } from './durable.options';
import { RedisArg, RedisCommand, normalizeCommands } from './redis-command';

/** What a durable write returns once confirmed. */
export interface DurableWriteResult<T = unknown> {
  /** The reply of the command (one command) or the list of replies (several, run atomically in one script). */
  result: T;
  /** Replicas that confirmed the write (`WAIT` reply). */
  acknowledgedBy: number;
  /** Replicas that were required. */
  required: number;
}

/**
 * Runs several commands atomically (Lua runs alone on the server, like MULTI/EXEC). ARGV: number
 * of commands, then per command its length and its words. Per-command errors are returned in
 * place (as EXEC does), the other commands still apply.
 */
export const MULTI_WRITE_SCRIPT = `
local reply = {}
local i = 2
for c = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[i])
  local command = {}
  for a = 1, n do command[a] = ARGV[i + a] end
  i = i + n + 1
  local r = redis.pcall(unpack(command))
  if type(r) == 'table' and r.ok then r = r.ok end
  reply[c] = r
end
return reply
`;

/** Resolves true once `connection` is ready, false after `timeoutMs` (the timer is unref()ed). */
function whenReady(connection: Redis, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  if (connection.status === 'end') return Promise.resolve(false);
  if (connection.status === 'wait') connection.connect().catch(() => undefined);
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    timer.unref();
    connection.once('ready', onReady);
  });
}

const generations = new WeakMap<Redis, { closed: number }>();

/**
 * A counter that increases whenever `client` loses a connection. For StateRedis it is built in; for
 * a plain ioredis client a `close` listener is attached once.
 */
function connectionGeneration(client: Redis): number {
  if (client instanceof StateRedis) return client.connectionGeneration;
  let state = generations.get(client);
  if (!state) {
    const fresh = { closed: 0 };
    client.on('close', () => fresh.closed++);
    generations.set(client, fresh);
    state = fresh;
  }
  return state.closed;
}

/**
 * Durable writes: a write is acknowledged only once `WAIT` confirms enough replicas have it.
 *
 * With a {@link StateRedis} client each write borrows one of its dedicated durable connections
 * (`durableConnections`, one write in flight per connection), because WAIT blocks the connection
 * it runs on. `write()` then sends, in ONE pipeline, the command (several commands run as one
 * atomic Lua script, see {@link MULTI_WRITE_SCRIPT}) followed by
 * `ROLE` (to learn how many replicas are online), then `WAIT n timeout`. It resolves only when
 * WAIT reports >= n replicas and the connection did not change between the write and the WAIT
 * (a WAIT on a new connection would not cover a write sent on the old one). Otherwise it throws
 * {@link DurabilityError} (`NOT_DURABLE`). Command errors (WRONGTYPE...) are rethrown as they are.
 */
export class DurableWriter {
  /** The defaults used by `write()`. */
  readonly options: ResolvedDurableOptions;
  private closed = false;

  /**
   * @param client any ioredis client (a {@link StateRedis} from createSentinelClient is best).
   * @param options replicas / timeout defaults (validated here).
   * @throws InvalidOptionsError naming the bad value, also when `timeoutMs` is not below the
   *   client's `commandTimeout` (WAIT itself would time out).
   */
  constructor(
    readonly client: Redis,
    options: DurableOptions = {},
  ) {
    if (!(client instanceof Redis)) throw new InvalidOptionsError(`DurableWriter needs an ioredis client; got ${typeof client}`);
    this.options = resolveDurableOptions(options);
    this.checkAgainstClient(this.options);
  }

  /** WAIT must finish before the client gives up on the command. */
  private checkAgainstClient(o: ResolvedDurableOptions): void {
    const commandTimeout = this.client.options.commandTimeout;
    if (typeof commandTimeout === 'number' && o.replicas !== 0 && o.timeoutMs >= commandTimeout) {
      throw new InvalidOptionsError(
        `durable.timeoutMs must be lower than the client's commandTimeout (${commandTimeout} ms), or WAIT itself times out; got ${o.timeoutMs}`,
      );
    }
  }

  /**
   * Runs `commands` (one `['SET', k, v]` or a list, run atomically in one Lua script) and resolves
   * once the required replicas confirmed them. `overrides` change replicas/timeout for this call.
   * @throws DurabilityError (`NOT_DURABLE`) when not confirmed; InvalidArgumentError for bad commands.
   */
  async write<T = unknown>(commands: RedisCommand | readonly RedisCommand[], overrides?: DurableOptions): Promise<DurableWriteResult<T>> {
    if (this.closed) throw new ShutDownError('DurableWriter');
    const list = normalizeCommands('durable write commands', commands);
    const o = overrides === undefined ? this.options : resolveDurableOptions(overrides, 'durable', this.options);
    if (overrides !== undefined) this.checkAgainstClient(o);
    if (list.length > 1) {
      // one script instead of MULTI/EXEC: if the server turns out read-only (demoted master), ioredis
      // reconnects and resends the FAILED command only; a resent script stays whole, a resent
      // command of a MULTI would run alone outside its transaction
      const args: RedisArg[] = [list.length];
      for (const command of list) args.push(command.length, ...command);
      const { result, acknowledgedBy, required } = await this.evalOn<unknown[]>(MULTI_WRITE_SCRIPT, [], args, o);
      const failed = result.find((r) => r instanceof Error);
      if (failed) throw failed;
      return { result: result as T, acknowledgedBy, required };
    }
    return this.writeSingle<T>(list[0], o);
  }

  /** Borrows a durable connection and runs ONE command + WAIT on it. */
  private async writeSingle<T>(command: RedisCommand, o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    if (this.closed) throw new ShutDownError('DurableWriter');
    const connection = this.client instanceof StateRedis ? await this.client.acquireDurableConnection() : this.client;
    try {
      return await this.writeOn<T>(connection, [command], o);
    } finally {
      if (this.client instanceof StateRedis) this.client.releaseDurableConnection(connection as StateRedis);
    }
  }

  /** The write + ROLE pipeline, then WAIT, on one connection. */
  private async writeOn<T>(connection: Redis, list: RedisCommand[], o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    if (connection instanceof StateRedis && connection.status !== 'ready') {
      // wait for the connection rather than queueing: a write queued across reconnects could not
      // be confirmed anyway (CONNECTION_CHANGED)
      const within = connection.options.commandTimeout ?? 5000;
      if (!(await whenReady(connection, within))) throw new DurabilityError('NOT_CONNECTED', 0, 0, within);
    }
    const generation = connectionGeneration(connection);
    const pipeline = connection.pipeline();
    for (const [name, ...args] of list) pipeline.call(name, ...args);
    pipeline.call('role');
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const writeReply = replies[replies.length - 2][1];
    const role = replies[replies.length - 1][1] as [string, number, unknown[]?];
    const online = Array.isArray(role?.[2]) ? role[2].length : 0;
    const required = o.replicas === 'all' ? Math.max(o.minReplicas, online) : o.replicas;
    if (role?.[0] !== 'master') throw new DurabilityError('NOT_MASTER', 0, required, o.timeoutMs);
    if (required === 0) return { result: writeReply as T, acknowledgedBy: 0, required };
    let acknowledged: number;
    try {
      acknowledged = Number(await connection.call('wait', required, o.timeoutMs));
    } catch (error) {
      throw new DurabilityError('WAIT_FAILED', 0, required, o.timeoutMs, { cause: error });
    }
    if (connectionGeneration(connection) !== generation) throw new DurabilityError('CONNECTION_CHANGED', acknowledged, required, o.timeoutMs);
    if (acknowledged < required) throw new DurabilityError('TIMEOUT', acknowledged, required, o.timeoutMs);
    return { result: writeReply as T, acknowledgedBy: acknowledged, required };
  }

  /**
   * Runs a Lua script durably: EVALSHA first, EVAL when the server does not know the script yet
   * (e.g. a freshly promoted master). Same guarantees as {@link write}.
   */
  eval<T = unknown>(script: string, keys: readonly string[], args: readonly RedisArg[], overrides?: DurableOptions): Promise<DurableWriteResult<T>> {
    const o = overrides === undefined ? this.options : resolveDurableOptions(overrides, 'durable', this.options);
    if (overrides !== undefined) this.checkAgainstClient(o);
    return this.evalOn<T>(script, keys, args, o);
  }

  /** EVALSHA, then EVAL on NOSCRIPT, both through the durable path. */
  private async evalOn<T>(script: string, keys: readonly string[], args: readonly RedisArg[], o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    try {
      return await this.writeSingle<T>(['EVALSHA', scriptSha(script), keys.length, ...keys, ...args], o);
    } catch (error) {
      if (!(error instanceof Error) || !/^NOSCRIPT\b/.test(error.message)) throw error;
      return this.writeSingle<T>(['EVAL', script, keys.length, ...keys, ...args], o);
    }
  }

  /** Rejects further writes (in-flight ones finish). The client is not closed: it is not owned. */
  shutdown(): void {
    this.closed = true;
  }
}

/**
 * One-off durable write: `durableWrite(client, ['SET', 'k', 'v'], { replicas: 'all', timeoutMs: 1000 })`.
 * See {@link DurableWriter.write}.
 */
export function durableWrite<T = unknown>(
  client: Redis,
  commands: RedisCommand | readonly RedisCommand[],
  options: DurableOptions = {},
): Promise<DurableWriteResult<T>> {
  return new DurableWriter(client, options).write<T>(commands);
}
