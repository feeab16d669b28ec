import { isRedisConnection, type RedisConnection } from '../client/redis-connection';
import { durableConnectionsOf, type DurableConnectionSource } from './connection-source';
import { scriptSha } from '../script';
import { StateOptionsError, ShutDownError } from '../state.error';
import { DurableOptions, ResolvedDurableOptions, resolveDurableOptions } from './durable.options';
import { RedisArg, RedisCommand, normalizeCommands } from './redis-command';
import { tracedDurableWrite } from '../telemetry/state-telemetry';
import { sentinelViewOf, type SentinelView } from './sentinel-view';
import { groupCommitOf, type GroupCommit } from './group-commit';

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

/**
 * Durable writes: a write is acknowledged only once `WAIT` confirms enough replicas have it.
 *
 * Group commit: writes issued together (same event-loop turn, or while every connection is busy)
 * on the same {@link DurableConnectionSource} share one `WAIT`. A batch borrows one connection: with
 * a client made by createSentinelClient / createRedisClient, one of its dedicated durable
 * connections (one batch in flight per connection, because WAIT blocks the connection it runs on);
 * with any other ioredis client, the client itself. It sends, in ONE pipeline, every write of the
 * batch (several commands of one write run as one atomic Lua script, see {@link MULTI_WRITE_SCRIPT})
 * followed by `ROLE` (to learn how many replicas are online), then ONE `WAIT n timeout`, which covers
 * every write sent before it on that connection. Each write resolves only when that WAIT reports
 * >= n replicas and the connection did not change between the writes and the WAIT (a WAIT on a new
 * connection would not cover writes sent on the old one). Otherwise every write of the batch throws
 * {@link DurabilityError} (`NOT_DURABLE`). Command errors (WRONGTYPE...) are rethrown as they are, to
 * their own caller only.
 */
export class DurableWriter {
  /** The defaults used by `write()`. */
  readonly options: ResolvedDurableOptions;
  private readonly connections: DurableConnectionSource;
  private readonly view: SentinelView | undefined;
  private readonly commits: GroupCommit;
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
    this.commits = groupCommitOf(this.connections, this.view);
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

  /** Runs ONE command durably, in its group commit (in a span, with metrics per write: see state-telemetry.ts). */
  private writeSingle<T>(command: RedisCommand, o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    return tracedDurableWrite(String(command[0]).toUpperCase(), () => this.writeSingleUntraced<T>(command, o));
  }

  /** Queues the command for the next group commit (see {@link GroupCommit}); no async layer of its own: one per write is already paid by the span. */
  private writeSingleUntraced<T>(command: RedisCommand, o: ResolvedDurableOptions): Promise<DurableWriteResult<T>> {
    if (this.closed) return Promise.reject(new ShutDownError('DurableWriter'));
    return this.commits.submit(command, o) as Promise<DurableWriteResult<T>>;
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
