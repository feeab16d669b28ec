import { isRedisConnection, type RedisConnection } from '../client/redis-connection';
import { connectionGeneration, durableConnectionsOf, type DurableConnectionSource } from './connection-source';
import { scriptSha } from '../script';
import { StateOptionsError, ShutDownError } from '../state.error';
import { DurabilityError } from './durability.error';
import { DurableOptions, ResolvedDurableOptions, resolveDurableOptions } from './durable.options';
import { RedisArg, RedisCommand, normalizeCommands } from './redis-command';
import { tracedDurableWrite } from '../telemetry/state-telemetry';
import { SentinelView, sentinelViewOf, type SentinelViewSnapshot } from './sentinel-view';

/** run_id of the server behind a connection, per connection generation (changes only with a new connection). */
const runIds = new WeakMap<object, { generation: number; runId: string }>();

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
function whenReady(connection: RedisConnection, timeoutMs: number): Promise<boolean> {
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

/**
 * Durable writes: a write is acknowledged only once `WAIT` confirms enough replicas have it.
 *
 * Each write borrows a connection from a {@link DurableConnectionSource}: with a client made by
 * createSentinelClient / createRedisClient, one of its dedicated durable connections (one write in
 * flight per connection, because WAIT blocks the connection it runs on); with any other ioredis
 * client, the client itself. `write()` then sends, in ONE pipeline, the command (several commands run as one
 * atomic Lua script, see {@link MULTI_WRITE_SCRIPT}) followed by
 * `ROLE` (to learn how many replicas are online), then `WAIT n timeout`. It resolves only when
 * WAIT reports >= n replicas and the connection did not change between the write and the WAIT
 * (a WAIT on a new connection would not cover a write sent on the old one). Otherwise it throws
 * {@link DurabilityError} (`NOT_DURABLE`). Command errors (WRONGTYPE...) are rethrown as they are.
 */
export class DurableWriter {
  /** The defaults used by `write()`. */
  readonly options: ResolvedDurableOptions;
  private readonly connections: DurableConnectionSource;
  private readonly view: SentinelView | undefined;
  private closed = false;

  /**
   * @param client any ioredis client (one from createSentinelClient is best: its dedicated
   *   durable connections are used), or a {@link DurableConnectionSource}.
   * @param options replicas / timeout defaults (validated here).
   * @throws StateOptionsError naming the bad value, also when `timeoutMs` is not below the
   *   client's `commandTimeout` (WAIT itself would time out).
   */
  constructor(client: RedisConnection | DurableConnectionSource, options: DurableOptions = {}) {
    if (isConnectionSource(client)) this.connections = client;
    else if (isRedisConnection(client)) {
      this.connections = durableConnectionsOf(client);
      this.view = sentinelViewOf(client);
    }
    else throw new StateOptionsError(`DurableWriter needs an ioredis client or a DurableConnectionSource; got ${typeof client}`);
    this.options = resolveDurableOptions(options);
    this.checkAgainstClient(this.options);
  }

  /** WAIT must finish before the client gives up on the command. */
  private checkAgainstClient(o: ResolvedDurableOptions): void {
    const commandTimeout = this.connections.commandTimeoutMs;
    if (typeof commandTimeout === 'number' && o.replicas !== 0 && o.timeoutMs >= commandTimeout) {
      throw new StateOptionsError(
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

  /** Borrows a durable connection and runs ONE command + WAIT on it (in a span, with metrics: see state-telemetry.ts). */
  private writeSingle<T>(command: RedisCommand, o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    return tracedDurableWrite(String(command[0]).toUpperCase(), () => this.writeSingleUntraced<T>(command, o));
  }

  private async writeSingleUntraced<T>(command: RedisCommand, o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    if (this.closed) throw new ShutDownError('DurableWriter');
    const connection = await this.connections.acquire();
    try {
      return await this.writeOn<T>(connection, [command], o);
    } finally {
      this.connections.release(connection);
    }
  }

  /** The write + ROLE pipeline, then WAIT, on one connection. */
  private async writeOn<T>(connection: RedisConnection, list: RedisCommand[], o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    if (this.connections.waitForReady && connection.status !== 'ready') {
      // wait for the connection rather than queueing: a write queued across reconnects could not
      // be confirmed anyway (CONNECTION_CHANGED)
      const within = connection.options.commandTimeout ?? 5000;
      if (!(await whenReady(connection, within))) throw new DurabilityError('NOT_CONNECTED', 0, 0, within);
    }
    const generation = connectionGeneration(connection);
    const view = o.replicas === 'all' && o.replicaSet === 'sentinel' ? this.view : undefined;
    const known = runIds.get(connection);
    const askRunId = view !== undefined && known?.generation !== generation;
    const pipeline = connection.pipeline();
    for (const [name, ...args] of list) pipeline.call(name, ...args);
    pipeline.call('role');
    if (askRunId) pipeline.call('info', 'server');
    const replies = (await pipeline.exec()) ?? [];
    const writtenAt = process.hrtime.bigint();
    for (const [error] of replies) if (error) throw error;
    const writeReply = replies[list.length - 1][1];
    const role = replies[list.length][1] as [string, number, Array<[string, string, string]>?];
    if (askRunId) runIds.set(connection, { generation, runId: /run_id:(\w+)/.exec(String(replies[list.length + 1][1]))?.[1] ?? '' });
    const online = Array.isArray(role?.[2]) ? role[2].map(([host, port]) => `${host}:${port}`) : [];
    const required = o.replicas === 'all' ? Math.max(o.minReplicas, online.length) : o.replicas;
    if (role?.[0] !== 'master') throw new DurabilityError('NOT_MASTER', 0, required, o.timeoutMs);
    if (required === 0) return { result: writeReply as T, acknowledgedBy: 0, required };
    // the sentinels are asked AFTER the write: their view covers every replica that could be promoted from now on
    const checked = view?.check(writtenAt).catch((error: unknown) => error as Error);
    let acknowledged: number;
    try {
      acknowledged = Number(await connection.call('wait', required, o.timeoutMs));
    } catch (error) {
      throw new DurabilityError('WAIT_FAILED', 0, required, o.timeoutMs, { cause: error });
    }
    if (connectionGeneration(connection) !== generation) throw new DurabilityError('CONNECTION_CHANGED', acknowledged, required, o.timeoutMs);
    if (acknowledged < required) throw new DurabilityError('TIMEOUT', acknowledged, required, o.timeoutMs);
    if (checked) this.confirmReplicaSet(await checked, runIds.get(connection)?.runId ?? '', online, acknowledged, required, o);
    return { result: writeReply as T, acknowledgedBy: acknowledged, required };
  }

  /** Rule `replicaSet: 'sentinel'`: the sentinels name this master and every replica they could promote is online (so it confirmed). */
  private confirmReplicaSet(view: SentinelViewSnapshot | Error, runId: string, online: string[], acknowledged: number, required: number, o: ResolvedDurableOptions): void {
    const fail = (why: string): never => {
      throw new DurabilityError('UNCONFIRMED', acknowledged, required, o.timeoutMs, { cause: new Error(why) });
    };
    if (view instanceof Error) fail(view.message);
    const snapshot = view as SentinelViewSnapshot;
    if (snapshot.masterRunId !== runId) fail(`the sentinels follow master ${snapshot.masterRunId.slice(0, 8) || '?'}, not this server ${runId.slice(0, 8) || '?'}`);
    const missing = snapshot.promotable.filter((address) => !online.includes(address));
    if (missing.length) fail(`replica(s) ${missing.join(', ')} could be promoted but are not connected to this master`);
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
  client: RedisConnection,
  commands: RedisCommand | readonly RedisCommand[],
  options: DurableOptions = {},
): Promise<DurableWriteResult<T>> {
  return new DurableWriter(client, options).write<T>(commands);
}

function isConnectionSource(value: unknown): value is DurableConnectionSource {
  return typeof value === 'object' && value !== null && typeof (value as DurableConnectionSource).acquire === 'function' && typeof (value as DurableConnectionSource).release === 'function';
}
