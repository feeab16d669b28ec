import { EventEmitter, type Event } from '../core/event';
import type { ServiceInstance } from '../core/instance';
import { DiscoveryError, toDiscoveryError } from './discovery.error';
import { EMPTY_VIEW, type Resolver } from './resolver';
import { byId, sameView } from './service-instance';

/**
 * Base of resolvers that poll a source (Redis, DNS): keeps a local id-sorted view, refreshes it
 * every `refreshMs` (timer unref'd), never runs two loads at once, bounds every wait by
 * `timeoutMs`, keeps the last view when the source fails (fail-static, `stale = true`) and emits
 * `onChange` only when the set really changes. Subclasses implement `load()` and may apply
 * pushed changes with `applyChange()`.
 */
export abstract class RefreshingResolver implements Resolver {
  private view: readonly ServiceInstance[] = EMPTY_VIEW;
  private isStale = false;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private loading: Promise<void> | undefined;
  private pushedSinceLoad = 0;
  private reloadAfter = false;
  private lastError: DiscoveryError | undefined;
  private emptySince: number | undefined;
  /** True once `shutdown()` was called. */
  protected closed = false;
  private readonly changes = new EventEmitter<readonly ServiceInstance[]>();
  private readonly staleChanges = new EventEmitter<boolean>();
  private readonly errors = new EventEmitter<DiscoveryError>();

  /** Fires with the new view whenever the set of instances (ids, addresses, zones, weights) changes. */
  readonly onChange: Event<readonly ServiceInstance[]> = this.changes.event;
  /** Fires with the new value of `stale` when it flips. */
  readonly onStaleChange: Event<boolean> = this.staleChanges.event;
  /** Fires when the source fails (the view is kept); for logs and metrics. */
  readonly onError: Event<DiscoveryError> = this.errors.event;

  /**
   * @param service the service tracked. @param refreshMs period of the full reload.
   * @param timeoutMs bound of every wait on the source. @param source names the source in errors.
   * @param emptyGraceMs how long a load that suddenly lists nothing is distrusted (0 = never).
   */
  protected constructor(
    readonly service: string,
    protected readonly refreshMs: number,
    protected readonly timeoutMs: number,
    private readonly source: string,
    private readonly emptyGraceMs = 0,
  ) {}

  /** Reads the whole current set of instances from the source. */
  protected abstract load(): Promise<readonly ServiceInstance[]>;

  /** Called once by `start()` before the first load (e.g. to subscribe to events). */
  protected onStart(): void {
    // default: nothing to do
  }

  /** Called once by `shutdown()` (e.g. to close connections). */
  protected onShutdown(): Promise<void> | void {
    // default: nothing to do
  }

  /** The current local view (sorted by id, frozen; same array until it changes). */
  instances(): readonly ServiceInstance[] {
    return this.view;
  }

  /** True while the source is unreachable and the last view is being kept. */
  get stale(): boolean {
    return this.isStale;
  }

  /** The last source failure, if any (cleared by the next successful load). */
  get error(): DiscoveryError | undefined {
    return this.lastError;
  }

  /**
   * Loads the first view and starts periodic refreshes. Resolves after at most `timeoutMs`
   * even when the source is down (then the view stays empty and `stale` is true). Idempotent.
   */
  start(): Promise<void> {
    if (this.starting === undefined) {
      this.starting = Promise.resolve().then(() => {
        if (this.closed) return;
        this.timer = setInterval(() => void this.refresh(), this.refreshMs);
        this.timer.unref();
        this.onStart();
        return this.refresh();
      });
    }
    return this.starting;
  }

  /**
   * Reloads the view from the source now (a load already running is joined, not duplicated).
   * Never rejects; resolves when the load finished or after `timeoutMs` (then `stale` is true).
   */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.loading === undefined) {
      const pushedAtStart = this.pushedSinceLoad;
      this.loading = this.load()
        .then(
          (instances) => {
            if (this.closed) return;
            this.lastError = undefined;
            if (this.pushedSinceLoad !== pushedAtStart) {
              this.setStale(false);
              this.reloadAfter = true; // a pushed change raced with this load: its result may be older
              return;
            }
            if (this.holdOnEmpty(instances)) return;
            this.setStale(false);
            this.replaceView(instances);
          },
          (error: unknown) => this.markUnavailable(error, 'load failed'),
        )
        .finally(() => {
          this.loading = undefined;
          if (this.reloadAfter && !this.closed) {
            this.reloadAfter = false;
            void this.refresh();
          }
        });
    }
    const loading = this.loading;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.loading === loading) this.markUnavailable(undefined, `load timed out after ${this.timeoutMs} ms`);
        resolve();
      }, this.timeoutMs);
      timer.unref();
      void loading.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Guard against a source that lost its data (e.g. Redis restarted empty, or failed over to a
   * replica that missed the entries): a load that would empty a non-empty view, without any
   * leave having been pushed, is not trusted for `emptyGraceMs` (the view is kept, `stale` is
   * true) so that registrations can heartbeat themselves back first.
   */
  private holdOnEmpty(instances: readonly ServiceInstance[]): boolean {
    if (instances.length > 0 || this.view.length === 0 || this.emptyGraceMs <= 0) {
      this.emptySince = undefined;
      return false;
    }
    const now = Date.now();
    if (this.emptySince === undefined) {
      this.emptySince = now;
      this.reportProblem(undefined, `the source lists no instances any more; keeping the last view for up to ${this.emptyGraceMs} ms`);
    }
    if (now - this.emptySince >= this.emptyGraceMs) {
      this.emptySince = undefined;
      return false;
    }
    this.setStale(true);
    return true;
  }

  /** Stops the refresh timer and the source's connections; the last view stays readable. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.onShutdown();
  }

  /**
   * Applies a change pushed by the source (e.g. a join/leave event) to the view at once;
   * a load racing with it is redone afterwards so that it cannot undo the change.
   */
  protected applyChange(change: (current: readonly ServiceInstance[]) => readonly ServiceInstance[]): void {
    if (this.closed) return;
    this.pushedSinceLoad++;
    this.replaceView(change(this.view));
  }

  /** Marks the view stale and reports `error` (or a DiscoveryError with `message`). */
  protected markUnavailable(error: unknown, message: string): void {
    if (this.closed) return;
    this.lastError = this.reportProblem(error, message);
    this.setStale(true);
  }

  /** Reports a problem on `onError` without marking the view stale (e.g. one bad entry). */
  protected reportProblem(error: unknown, message: string): DiscoveryError {
    const context = `${this.source} resolver for "${this.service}": ${message}`;
    const wrapped = error === undefined ? new DiscoveryError(context) : toDiscoveryError(error, context);
    if (!this.closed) this.errors.emit(wrapped);
    return wrapped;
  }

  /** Sets `stale`, emitting onStaleChange on flips. */
  protected setStale(stale: boolean): void {
    if (this.isStale === stale) return;
    this.isStale = stale;
    this.staleChanges.emit(stale);
  }

  private replaceView(instances: readonly ServiceInstance[]): void {
    const next = [...instances].sort(byId);
    if (sameView(this.view, next)) return;
    this.view = Object.freeze(next);
    this.changes.emit(this.view);
  }
}
