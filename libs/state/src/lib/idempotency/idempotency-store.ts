import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../client/redis-connection';
import { DurableWriter } from '../durable/durable-writer';
import { DurableOptions, ResolvedDurableOptions, resolveDurableOptions } from '../durable/durable.options';
import { RedisArg } from '../durable/redis-command';
import { evalScript } from '../script';
import { InvalidArgumentError, ShutDownError } from '../state.error';
import { assertInteger, assertKnownKeys, assertObject, assertString, show } from '../validate';
import { IdempotencyError } from './idempotency.error';
import { CLAIM_SCRIPT, FINISH_SCRIPT } from './idempotency.scripts';

/** Options of an {@link IdempotencyStore}. */
export interface IdempotencyOptions {
  /** How long a result is remembered (default 86400000 ms = 24 h). */
  ttlMs?: number;
  /** How long a run may take before another caller may take over (default 30000 ms). */
  lockTtlMs?: number;
  /** How long a failure stays visible to callers that were WAITING on it (default 5000 ms). */
  failureTtlMs?: number;
  /** How long a caller waits for a concurrent run (default: lockTtlMs). */
  waitTimeoutMs?: number;
  /** First poll delay while waiting (default 10 ms); doubles up to pollMaxMs. */
  pollMinMs?: number;
  /** Poll delay cap while waiting (default 200 ms). */
  pollMaxMs?: number;
  /** Key prefix (default `failsoft:idem:`). */
  keyPrefix?: string;
  /** Confirm claims and results with WAIT (default: writer defaults); `false` for plain writes. */
  durable?: DurableOptions | false;
}

/** Per-call options of {@link IdempotencyStore.run}. */
export interface IdempotencyRunOptions {
  /** Override the result ttl for this key. */
  ttlMs?: number;
  /**
   * A digest of the request (e.g. sha256 of the body). A later call with the same key but another
   * fingerprint fails with `IDEMPOTENCY_KEY_REUSED` instead of returning a result meant for a
   * different request.
   */
  fingerprint?: string;
}

/** The stored record (JSON). */
interface IdempotencyRecord {
  /** state */
  s: 'pending' | 'done' | 'failed';
  /** owner (run id) */
  o: string;
  /** fingerprint */
  f?: string;
  /** result (done) */
  r?: unknown;
  /** error message and code (failed) */
  e?: { message: string; code?: string };
}

/** Idempotency keys: printable, no spaces, 1-256 characters. */
export function assertIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(key)) {
    throw new InvalidArgumentError(`idempotency key must be 1-256 printable ASCII characters without spaces; got ${show(key)}`);
  }
  return key;
}

/** Resolves after `ms` (an awaited wait: ref'd on purpose so a waiting caller keeps the process up). */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs a function at most once per idempotency key and gives every caller the first result.
 *
 * `run(key, fn)`: the first caller claims the key (a `pending` record with a lock ttl) and runs
 * `fn`; its JSON-serialisable result is stored for `ttlMs` and returned to everyone calling with
 * the same key meanwhile and afterwards. Concurrent callers poll with exponential backoff (10 ms
 * doubling to 200 ms) until the record is `done`.
 *
 * Failures are NOT cached for new callers: when `fn` throws, the error goes to its caller and to the
 * callers that were waiting on that run (as `IDEMPOTENCY_FIRST_RUN_FAILED`, kept `failureTtlMs`),
 * but the next call with that key runs `fn` again. If the runner dies, its claim expires after
 * `lockTtlMs` and a waiting caller takes over. Claims and results are durable (WAIT) by default,
 * so a failover does not forget them.
 */
export class IdempotencyStore {
  private readonly o: {
    ttlMs: number;
    lockTtlMs: number;
    failureTtlMs: number;
    waitTimeoutMs: number;
    pollMinMs: number;
    pollMaxMs: number;
    keyPrefix: string;
    durable: ResolvedDurableOptions | false;
  };
  private readonly writer: DurableWriter | undefined;
  private closed = false;

  /**
   * @param client ioredis client (master).
   * @param options see {@link IdempotencyOptions}.
   * @throws StateOptionsError naming the bad value.
   */
  constructor(
    readonly client: RedisConnection,
    options: IdempotencyOptions = {},
  ) {
    const o = assertObject('idempotency', options);
    assertKnownKeys('idempotency', o, ['ttlMs', 'lockTtlMs', 'failureTtlMs', 'waitTimeoutMs', 'pollMinMs', 'pollMaxMs', 'keyPrefix', 'durable']);
    const lockTtlMs = assertInteger('idempotency.lockTtlMs', o['lockTtlMs'] ?? 30_000, 10);
    const pollMinMs = assertInteger('idempotency.pollMinMs', o['pollMinMs'] ?? 10, 1);
    this.o = {
      ttlMs: assertInteger('idempotency.ttlMs', o['ttlMs'] ?? 86_400_000, 1),
      lockTtlMs,
      failureTtlMs: assertInteger('idempotency.failureTtlMs', o['failureTtlMs'] ?? 5000, 0),
      waitTimeoutMs: assertInteger('idempotency.waitTimeoutMs', o['waitTimeoutMs'] ?? lockTtlMs, 1),
      pollMinMs,
      pollMaxMs: assertInteger('idempotency.pollMaxMs', o['pollMaxMs'] ?? Math.max(200, pollMinMs), pollMinMs),
      keyPrefix: o['keyPrefix'] === undefined ? 'failsoft:idem:' : assertString('idempotency.keyPrefix', o['keyPrefix']),
      durable: o['durable'] === false ? false : resolveDurableOptions(o['durable'], 'idempotency.durable'),
    };
    this.writer = this.o.durable === false ? undefined : new DurableWriter(client, this.o.durable);
  }

  /** Runs a script, confirmed by WAIT unless durability is off. */
  private async script<T>(script: string, key: string, args: RedisArg[]): Promise<T> {
    if (this.writer) return (await this.writer.eval<T>(script, [key], args)).result;
    return evalScript<T>(this.client, script, [key], args);
  }

  /**
   * Runs `fn` once for `key` and returns its result to every caller (see the class doc).
   * @throws InvalidArgumentError for a bad key/fn; whatever `fn` throws (to the runner);
   *   IdempotencyError (FIRST_RUN_FAILED, WAIT_TIMEOUT, KEY_REUSED, RESULT_NOT_SERIALIZABLE);
   *   DurabilityError when a claim/result could not be confirmed.
   */
  async run<T>(key: string, fn: () => T | Promise<T>, options: IdempotencyRunOptions = {}): Promise<T> {
    if (this.closed) throw new ShutDownError('IdempotencyStore');
    assertIdempotencyKey(key);
    if (typeof fn !== 'function') throw new InvalidArgumentError(`idempotent operation must be a function; got ${show(fn)}`);
    const run = assertObject('idempotency run options', options, 'argument');
    const ttlMs = run['ttlMs'] === undefined ? this.o.ttlMs : assertInteger('idempotency run ttlMs', run['ttlMs'], 1, Number.MAX_SAFE_INTEGER, 'argument');
    const fingerprint = run['fingerprint'] === undefined ? undefined : assertString('idempotency run fingerprint', run['fingerprint'], 'argument');
    const redisKey = `${this.o.keyPrefix}${key}`;
    const owner = randomBytes(8).toString('hex');
    const pending: IdempotencyRecord = { s: 'pending', o: owner, ...(fingerprint ? { f: fingerprint } : {}) };
    const deadline = Date.now() + this.o.waitTimeoutMs;
    let pollMs = this.o.pollMinMs;
    let waitedOn: string | undefined;
    const claim = (): Promise<string | null> =>
      this.script<string | null>(CLAIM_SCRIPT, redisKey, [JSON.stringify(pending), this.o.lockTtlMs, waitedOn ?? '']);
    let existing = await claim();
    for (;;) {
      if (existing === null) return this.execute(key, redisKey, owner, fn, ttlMs, fingerprint);
      const record = this.parse(key, existing);
      if (record.f !== undefined && fingerprint !== undefined && record.f !== fingerprint) {
        throw new IdempotencyError(
          'IDEMPOTENCY_KEY_REUSED',
          key,
          `idempotency key ${show(key)} was first used for a different request (fingerprint ${show(record.f)}, this one ${show(fingerprint)}); use a new key per distinct request`,
        );
      }
      if (record.s === 'done') return record.r as T;
      if (record.s === 'failed' && record.o === waitedOn) {
        throw new IdempotencyError(
          'IDEMPOTENCY_FIRST_RUN_FAILED',
          key,
          `the concurrent run for idempotency key ${show(key)} failed: ${record.e?.message ?? 'unknown error'}; calling again runs it again`,
        );
      }
      if (record.s === 'failed') {
        existing = await claim(); // someone else's old failure: not cached for us, run again
        continue;
      }
      waitedOn = record.o;
      if (Date.now() >= deadline) {
        throw new IdempotencyError(
          'IDEMPOTENCY_WAIT_TIMEOUT',
          key,
          `idempotency key ${show(key)} is still being processed by another caller after ${this.o.waitTimeoutMs} ms; retry later (the claim expires after ${this.o.lockTtlMs} ms if its runner died)`,
        );
      }
      await delay(Math.min(pollMs, Math.max(1, deadline - Date.now())));
      pollMs = Math.min(pollMs * 2, this.o.pollMaxMs);
      // poll with a plain GET; claim again only when the pending record is gone (its runner died)
      existing = await this.client.get(redisKey);
      if (existing === null) existing = await claim();
    }
  }

  /** Runs fn as the owner of the claim and stores the outcome. */
  private async execute<T>(key: string, redisKey: string, owner: string, fn: () => T | Promise<T>, ttlMs: number, fingerprint?: string): Promise<T> {
    const f = fingerprint ? { f: fingerprint } : {};
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      const failed: IdempotencyRecord = {
        s: 'failed',
        o: owner,
        ...f,
        e: { message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown })?.code?.toString() },
      };
      await this.script(FINISH_SCRIPT, redisKey, [owner, JSON.stringify(failed), this.o.failureTtlMs]).catch(() => undefined);
      throw error;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify({ s: 'done', o: owner, ...f, r: result === undefined ? null : result } satisfies IdempotencyRecord);
    } catch (error) {
      json = undefined;
      await this.script(FINISH_SCRIPT, redisKey, [owner, '', 0]).catch(() => undefined);
      throw new IdempotencyError('IDEMPOTENCY_RESULT_NOT_SERIALIZABLE', key, `the result for idempotency key ${show(key)} cannot be stored as JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await this.script(FINISH_SCRIPT, redisKey, [owner, json, ttlMs]);
    return (result === undefined ? null : JSON.parse(json).r) as T;
  }

  /** Parses a stored record (a corrupt one is reported, not crashed on). */
  private parse(key: string, text: string): IdempotencyRecord {
    try {
      const record = JSON.parse(text) as IdempotencyRecord;
      if (record && (record.s === 'pending' || record.s === 'done' || record.s === 'failed')) return record;
    } catch {
      // fall through
    }
    throw new InvalidArgumentError(`idempotency key ${show(key)} holds a value that is not an idempotency record: ${show(text)} (is keyPrefix shared with other data?)`);
  }

  /**
   * The stored outcome for `key`: `{ state: 'done', result }`, `{ state: 'pending' }`,
   * `{ state: 'failed', error }` or undefined.
   */
  async get(key: string): Promise<{ state: 'pending' | 'done' | 'failed'; result?: unknown; error?: string } | undefined> {
    assertIdempotencyKey(key);
    const text = await this.client.get(`${this.o.keyPrefix}${key}`);
    if (text === null) return undefined;
    const record = this.parse(key, text);
    return { state: record.s, ...(record.s === 'done' ? { result: record.r } : {}), ...(record.e ? { error: record.e.message } : {}) };
  }

  /** Rejects further runs (in-flight ones finish). The client is not closed: it is not owned. */
  shutdown(): void {
    this.closed = true;
    this.writer?.shutdown();
  }
}
