import { EventEmitter } from 'node:events';
import type { RedisConnection } from '../client/redis-connection';
import { DurableWriter } from '../durable/durable-writer';
import { RedisArg, RedisCommand } from '../durable/redis-command';
import { evalScript } from '../script';
import { ShutDownError } from '../state.error';
import { FencedWriteOptions, fencedWrite } from './fenced-write';
import { LeaseNotHeldError, isFencingError } from './fencing.error';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from './lease.scripts';
import { leaseHeld, tracedLeaseRenewal } from '../telemetry/state-telemetry';
import { LeaseOptions, ResolvedLeaseOptions, assertLeaseName, leaseKeys, resolveLeaseOptions } from './lease.options';

/** One term of leadership: the token is unique and greater than every earlier term's. */
export interface LeaseTerm {
  /** Lease name. */
  readonly name: string;
  /** Fencing token of this term (monotonic per lease). */
  readonly token: number;
  /** Who holds it. */
  readonly holderId: string;
  /** Local time (ms since epoch) until which this process may act as holder, unless renewed. */
  readonly validUntil: number;
}

/** Why a term ended for this process. */
export type LeaseLossReason = 'released' | 'expired' | 'taken' | 'fenced' | 'shutdown';

/** Events of a {@link Lease}. */
export interface LeaseEvents {
  /** A new term started for this process. */
  acquired: [term: LeaseTerm];
  /** The term ended: stop acting as leader NOW. */
  lost: [term: LeaseTerm, reason: LeaseLossReason];
  /** A background acquire/renew attempt failed (Redis unreachable, not durable...); it will retry. */
  attemptFailed: [error: Error];
}

/**
 * A lease for an active-passive singleton: at most one holder at a time per name, each term with a
 * monotonic fencing token (issued by INCR in the same Lua script as the `SET PX`).
 *
 * Use it manually (`acquire()`, `renew()`, `release()`) or as a campaign: `start()` tries to
 * acquire (again as soon as the current holder's term expires) and, while held, renews every
 * `renewIntervalMs` (ttl/3). `onAcquired`/`onLost` tell the singleton when to run and when to stop.
 * The holder stops considering itself leader at `validUntil` (ttl minus a safety margin, counted
 * from BEFORE the request was sent) even when Redis cannot be reached, so two processes never
 * both believe they lead for long; fenced writes ({@link fencedWrite}) close the remaining gap.
 * Every timer is unref()ed; `shutdown()` stops the campaign and releases.
 */
export class Lease extends EventEmitter<LeaseEvents> {
  /** Validated options. */
  readonly options: ResolvedLeaseOptions;
  private readonly keys: { lease: string; fence: string };
  private readonly durable: DurableWriter | undefined;
  private current: LeaseTerm | undefined;
  private running = false;
  private closed = false;
  private loopTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private tickInFlight: Promise<void> | undefined;

  /**
   * @param client ioredis client (master).
   * @param name lease name (1-128 of `A-Za-z0-9_.:/-`).
   * @param options see {@link LeaseOptions}.
   * @throws InvalidArgumentError / StateOptionsError naming the bad value.
   */
  constructor(
    readonly client: RedisConnection,
    readonly name: string,
    options: LeaseOptions = {},
  ) {
    super();
    assertLeaseName(name);
    this.options = resolveLeaseOptions(options);
    this.keys = leaseKeys(this.options.keyPrefix, name);
    this.durable = this.options.durable === false ? undefined : new DurableWriter(client, this.options.durable);
  }

  /** True while this process holds a term that has not passed its `validUntil`. */
  get isHeld(): boolean {
    return this.current !== undefined && Date.now() < this.current.validUntil;
  }

  /** The current term, if held. */
  get term(): LeaseTerm | undefined {
    return this.isHeld ? this.current : undefined;
  }

  /** The fencing token of the current term, if held. */
  get token(): number | undefined {
    return this.term?.token;
  }

  /** Registers a listener for new terms. */
  onAcquired(listener: (term: LeaseTerm) => void): this {
    return this.on('acquired', listener);
  }

  /** Registers a listener for lost terms (stop the singleton's work there). */
  onLost(listener: (term: LeaseTerm, reason: LeaseLossReason) => void): this {
    return this.on('lost', listener);
  }

  /** Runs a script, confirmed by WAIT unless durability is off. */
  private async run<T>(script: string, keys: string[], args: RedisArg[]): Promise<T> {
    if (this.durable) return (await this.durable.eval<T>(script, keys, args)).result;
    return evalScript<T>(this.client, script, keys, args);
  }

  /**
   * One attempt to acquire. Resolves with the term when this process holds the lease (a new term
   * emits `acquired`; an already held one is refreshed), or undefined when someone else holds it.
   * @throws DurabilityError when the acquisition could not be confirmed (not held then), or the
   *   Redis error.
   */
  async acquire(): Promise<LeaseTerm | undefined> {
    return (await this.tryAcquire()).term;
  }

  /** acquire() plus the remaining ttl of someone else's term (to retry right when it ends). */
  private async tryAcquire(): Promise<{ term?: LeaseTerm; otherTtlMs?: number }> {
    if (this.closed) throw new ShutDownError(`lease "${this.name}"`);
    const sentAt = Date.now();
    const [ok, token, ttl] = await this.run<[number, number, number]>(ACQUIRE_SCRIPT, [this.keys.lease, this.keys.fence], [
      this.options.holderId,
      this.options.ttlMs,
    ]);
    if (Number(ok) !== 1) return { otherTtlMs: Number(ttl) };
    const term: LeaseTerm = {
      name: this.name,
      token: Number(token),
      holderId: this.options.holderId,
      validUntil: sentAt + this.options.ttlMs - this.options.safetyMarginMs,
    };
    const isNew = this.current?.token !== term.token;
    if (isNew && this.current) this.lose('taken');
    this.current = term;
    this.armExpiry();
    if (isNew) leaseHeld(this.name, term.holderId, true);
    if (isNew) this.emit('acquired', term);
    return { term };
  }

  /**
   * Extends the current term by ttl. Resolves true when renewed, false when the term was lost
   * (someone else holds the lease now, or it expired; `lost` is emitted).
   * @throws LeaseNotHeldError when nothing is held; DurabilityError / Redis error on failure
   *   (the term is NOT extended then, and is lost at validUntil unless a later renew succeeds).
   */
  renew(): Promise<boolean> {
    return tracedLeaseRenewal(this.name, this.options.holderId, () => this.renewUntraced());
  }

  private async renewUntraced(): Promise<boolean> {
    const term = this.current;
    if (!term) throw new LeaseNotHeldError(this.name, 'renew');
    const sentAt = Date.now();
    const renewed = await this.run<number>(RENEW_SCRIPT, [this.keys.lease], [`${term.token}:${term.holderId}`, this.options.ttlMs]);
    if (this.current !== term) return false;
    if (Number(renewed) !== 1) {
      this.lose('taken');
      return false;
    }
    this.current = { ...term, validUntil: sentAt + this.options.ttlMs - this.options.safetyMarginMs };
    this.armExpiry();
    return true;
  }

  /**
   * Ends the current term (deletes the holder record if it is still ours), emitting `lost` with
   * reason `released`. Resolves true when a held term was released. The fencing counter stays.
   */
  async release(): Promise<boolean> {
    const term = this.current;
    if (!term) return false;
    this.lose('released');
    try {
      return Number(await evalScript(this.client, RELEASE_SCRIPT, [this.keys.lease], [`${term.token}:${term.holderId}`])) === 1;
    } catch {
      return false; // it expires by itself
    }
  }

  /**
   * Runs `commands` fenced by the current term's token (see {@link fencedWrite}). A rejection means
   * a newer term exists: the term is dropped (`lost` with reason `fenced`) and the error rethrown.
   * @throws LeaseNotHeldError when nothing is held; FencingError when stale.
   */
  async fencedWrite<T extends unknown[] = unknown[]>(commands: RedisCommand | readonly RedisCommand[], options: FencedWriteOptions = {}): Promise<T> {
    const term = this.term;
    if (!term) throw new LeaseNotHeldError(this.name, 'run a fenced write');
    try {
      return await fencedWrite<T>(this.client, this.name, term.token, commands, {
        keyPrefix: this.options.keyPrefix,
        durable: this.options.durable === false ? false : this.options.durable,
        ...options,
      });
    } catch (error) {
      if (isFencingError(error) && this.current === term) this.lose('fenced');
      throw error;
    }
  }

  /**
   * Starts campaigning: acquire as soon as possible, renew while held, acquire again after a loss.
   * Idempotent. Failures are reported as `attemptFailed` events and retried.
   */
  start(): this {
    if (this.closed) throw new ShutDownError(`lease "${this.name}"`);
    if (!this.running) {
      this.running = true;
      this.schedule(0);
    }
    return this;
  }

  /** Stops campaigning and releases a held term. Idempotent; the lease can be started again. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.loopTimer);
    await this.tickInFlight;
    await this.release();
  }

  /** Stops, releases, and rejects any further use. */
  async shutdown(): Promise<void> {
    await this.stop();
    this.closed = true;
    clearTimeout(this.expiryTimer);
    this.removeAllListeners();
  }

  /** Schedules the next campaign step. */
  private schedule(delayMs: number): void {
    clearTimeout(this.loopTimer);
    if (!this.running) return;
    this.loopTimer = setTimeout(() => {
      this.tickInFlight = this.tick().finally(() => (this.tickInFlight = undefined));
    }, delayMs);
    this.loopTimer.unref();
  }

  /** One campaign step: renew when held, else try to acquire. */
  private async tick(): Promise<void> {
    const o = this.options;
    let next = o.retryIntervalMs;
    try {
      if (this.current) {
        next = (await this.renew()) ? o.renewIntervalMs : 0;
      } else {
        const { term, otherTtlMs } = await this.tryAcquire();
        if (term) next = o.renewIntervalMs;
        else if (otherTtlMs !== undefined && otherTtlMs >= 0) next = Math.min(o.retryIntervalMs, otherTtlMs + 1);
      }
    } catch (error) {
      if (this.running) this.emit('attemptFailed', error as Error);
      // while held, retry sooner so a transient failure does not cost the term
      next = this.current ? Math.min(o.renewIntervalMs, Math.max(50, Math.floor(o.renewIntervalMs / 4))) : o.retryIntervalMs;
    }
    this.schedule(next);
  }

  /** Arms the local expiry: at validUntil the term is dropped unless renewed meanwhile. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const term = this.current;
    if (!term) return;
    this.expiryTimer = setTimeout(() => {
      if (this.current === term) this.lose('expired');
    }, Math.max(0, term.validUntil - Date.now()));
    this.expiryTimer.unref();
  }

  /** Drops the current term and emits `lost`. */
  private lose(reason: LeaseLossReason): void {
    const term = this.current;
    if (!term) return;
    this.current = undefined;
    clearTimeout(this.expiryTimer);
    leaseHeld(this.name, term.holderId, false);
    this.emit('lost', term, reason);
    if (this.running && reason !== 'released') this.schedule(0);
  }
}
