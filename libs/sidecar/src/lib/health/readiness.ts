import { EventEmitter, type Disposable } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, assertString, show } from '../core/validate';

/** A readiness check: true (or a promise of true) when the dependency it guards is usable. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** Result of one check in a {@link ReadinessReport}. */
export interface ReadinessCheckResult {
  /** True when the check passed. */
  readonly ok: boolean;
  /** Why it failed (returned false, threw, or timed out). */
  readonly error?: string;
}

/** The readiness verdict and why. */
export interface ReadinessReport {
  /** started && !draining && every check passed. */
  readonly ready: boolean;
  /** `markStarted()` was called. */
  readonly started: boolean;
  /** `markDraining()` was called. */
  readonly draining: boolean;
  /** Names of the failing checks (plus `started` / `draining` when those block readiness). */
  readonly failing: readonly string[];
  /** Per-check results of the last evaluation. */
  readonly checks: Readonly<Record<string, ReadinessCheckResult>>;
  /** When the checks last ran (ISO time), if ever. */
  readonly checkedAt?: string;
}

/** Options of {@link Readiness}. */
export interface ReadinessOptions {
  /** How often checks are re-evaluated once started, in ms (default 2000). */
  intervalMs?: number;
  /** A check still running after this many ms counts as failed (default 1000). */
  checkTimeoutMs?: number;
}

/**
 * Readiness of a process: ready = started && !draining && every registered check passes.
 * Checks (e.g. "redis reachable") are re-evaluated every `intervalMs` on an unref'd timer once
 * started; `onChange` fires when the verdict flips (the server pushes it into gRPC health).
 */
export class Readiness {
  private readonly intervalMs: number;
  private readonly checkTimeoutMs: number;
  private readonly checks = new Map<string, ReadinessCheck>();
  private results: Record<string, ReadinessCheckResult> = {};
  private checkedAt: string | undefined;
  private started = false;
  private draining = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private evaluating: Promise<ReadinessReport> | undefined;
  private lastReady = false;
  private readonly changed = new EventEmitter<ReadinessReport>();

  /** Fires with the new report whenever `ready` flips. */
  readonly onChange = this.changed.event;

  /** @throws InvalidOptionsError on bad options. */
  constructor(options: ReadinessOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionsError(`readiness options must be an object; got ${show(options)}`);
    this.intervalMs = assertNumber('readiness.intervalMs', options.intervalMs ?? 2000, 10, Infinity, true);
    this.checkTimeoutMs = assertNumber('readiness.checkTimeoutMs', options.checkTimeoutMs ?? 1000, 1, Infinity, true);
  }

  /** Registers a check; dispose the result to remove it. @throws InvalidOptionsError on a bad or duplicate name. */
  addCheck(name: string, check: ReadinessCheck): Disposable {
    assertString('readiness check name', name);
    if (typeof check !== 'function') throw new InvalidOptionsError(`readiness check ${JSON.stringify(name)} must be a function; got ${show(check)}`);
    if (this.checks.has(name)) throw new InvalidOptionsError(`readiness check ${JSON.stringify(name)} is already registered`);
    this.checks.set(name, check);
    if (this.started) void this.evaluate();
    return {
      dispose: () => {
        if (this.checks.get(name) !== check) return;
        this.checks.delete(name);
        const { [name]: _removed, ...rest } = this.results;
        this.results = rest;
        this.publish();
      },
    };
  }

  /** Marks the process started: runs the checks now and then every `intervalMs`. Resolves with the first report. */
  markStarted(): Promise<ReadinessReport> {
    if (this.stopped) return Promise.resolve(this.report());
    this.started = true;
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.evaluate(), this.intervalMs);
      this.timer.unref();
    }
    return this.evaluate();
  }

  /** Marks the process draining: not ready from now on (synchronously), whatever the checks say. */
  markDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.publish();
  }

  /** The verdict as of the last evaluation. */
  get ready(): boolean {
    return this.report().ready;
  }

  /** The current report (check results from the last evaluation). */
  report(): ReadinessReport {
    const failing: string[] = [];
    if (!this.started) failing.push('started');
    if (this.draining) failing.push('draining');
    for (const name of this.checks.keys()) {
      if (this.results[name]?.ok !== true) failing.push(name);
    }
    return {
      ready: failing.length === 0,
      started: this.started,
      draining: this.draining,
      failing,
      checks: { ...this.results },
      ...(this.checkedAt === undefined ? {} : { checkedAt: this.checkedAt }),
    };
  }

  /** Runs every check now (concurrent callers share one run) and returns the new report. */
  evaluate(): Promise<ReadinessReport> {
    this.evaluating ??= this.runChecks().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  /** Stops the periodic evaluation and marks the process not ready. */
  shutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draining = true;
    this.publish();
  }

  private async runChecks(): Promise<ReadinessReport> {
    const entries = [...this.checks.entries()];
    const results = await Promise.all(entries.map(([name, check]) => this.runCheck(name, check)));
    const next: Record<string, ReadinessCheckResult> = {};
    entries.forEach(([name], i) => {
      if (this.checks.get(name) !== undefined) next[name] = results[i];
    });
    this.results = next;
    this.checkedAt = new Date().toISOString();
    return this.publish();
  }

  private runCheck(name: string, check: ReadinessCheck): Promise<ReadinessCheckResult> {
    return new Promise<ReadinessCheckResult>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: `timed out after ${this.checkTimeoutMs} ms` }), this.checkTimeoutMs);
      timer.unref();
      const settle = (result: ReadinessCheckResult): void => {
        clearTimeout(timer);
        resolve(result);
      };
      try {
        Promise.resolve(check()).then(
          (ok) => settle(ok === true ? { ok: true } : { ok: false, error: `check ${JSON.stringify(name)} returned ${show(ok)}` }),
          (error: unknown) => settle({ ok: false, error: error instanceof Error ? error.message : String(error) }),
        );
      } catch (error) {
        settle({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  private publish(): ReadinessReport {
    const report = this.report();
    if (report.ready !== this.lastReady) {
      this.lastReady = report.ready;
      this.changed.emit(report);
    }
    return report;
  }
}
