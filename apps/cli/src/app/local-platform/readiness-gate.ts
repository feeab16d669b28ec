import { join } from 'node:path';
import { describeExit, tailFile, type Supervisor } from '@failsoft/local-runtime';
import { waitForReady, type NotReady, type ReadinessTarget } from '../readiness';
import type { InstancePlan } from '../topology';
import { seconds } from './format';

/** What the {@link ReadinessGate} needs from the platform around it. */
export interface ReadinessGateDeps {
  /** Knows which instances crashed for good (exit 78) or are held down. */
  readonly supervisor: Supervisor;
  /** Folder of the instances' logs (`<id>.log`). */
  readonly logs: string;
  /** Aborted when the platform stops: every wait ends. */
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
  readonly warn: (line: string) => void;
  /** A path relative to the workspace, for messages. */
  readonly short: (path: string) => string;
  /** The planned instances. */
  readonly plans: () => readonly InstancePlan[];
}

/**
 * Readiness of the service instances: waits (bounded) until each answers /livez and /readyz 200,
 * telling why the late ones are not ready (probe answers, supervisor state, the tail of the log).
 */
export class ReadinessGate {
  constructor(private readonly deps: ReadinessGateDeps) {}

  /**
   * The wait of a start, with a progress line per instance and every 5 s. An instance not ready
   * in time is explained (warnings), not fatal. @returns the ids that got ready and the problem, if any.
   */
  async atStart(timeoutMs: number, since: () => string): Promise<{ ready: string[]; problem?: string }> {
    const targets = this.targets();
    this.deps.say(`[ready] waiting for /livez and /readyz of ${targets.length} instances (up to ${seconds(timeoutMs)})`);
    const result = await waitForReady(targets, {
      timeoutMs,
      signal: this.deps.signal,
      onReady: (target, n, total) => this.deps.say(`[${n}/${total}] ${target.id} ready (${since()})`),
      onWaiting: (pending, elapsedMs) => this.deps.say(`[ready] still waiting for ${pending.join(', ')} (${seconds(elapsedMs)})`),
    });
    if (result.notReady.length === 0 || this.deps.signal.aborted) return { ready: result.ready };
    this.deps.warn(`[ready] NOT READY after ${seconds(timeoutMs)}: ${result.notReady.map((n) => n.id).join(', ')}`);
    this.explain(result.notReady);
    this.deps.warn('[ready] the platform keeps running (crashed instances keep being restarted); see: npm run failsoft -- status');
    return { ready: result.ready, problem: `${result.notReady.length} of ${targets.length} instances not ready` };
  }

  /** Waits until the given instances (default: all) are ready. @throws naming each late instance, its reason and log. */
  async waitOrThrow(ids: readonly string[] | undefined, timeoutMs: number): Promise<void> {
    const result = await waitForReady(this.targets(ids), { timeoutMs, signal: this.deps.signal, intervalMs: 100 });
    if (result.notReady.length > 0) {
      throw new Error(`not ready after ${seconds(timeoutMs)}: ${result.notReady.map((n) => `${n.id} (${n.reason}; log ${n.logFile ? this.deps.short(n.logFile) : '-'})`).join(', ')}`);
    }
  }

  private targets(ids?: readonly string[]): ReadinessTarget[] {
    return this.deps
      .plans()
      .filter((p) => ids === undefined || ids.includes(p.id))
      .map((p) => ({
        id: p.id,
        baseUrl: p.url,
        logFile: join(this.deps.logs, `${p.id}.log`),
        failure: () => {
          const s = this.deps.supervisor.status(p.id);
          if (s?.state === 'failed') return `exited with code ${s.lastExit?.code} (configuration error); not restarted`;
          if (s?.state === 'stopped') return 'stopped (held down)';
          return undefined;
        },
      }));
  }

  private explain(notReady: readonly NotReady[]): void {
    for (const n of notReady) {
      const status = this.deps.supervisor.status(n.id);
      const restarts = status?.restarts ? ` (restarted ${status.restarts} times, last exit ${status.lastExit ? describeExit(status.lastExit) : '-'})` : '';
      this.deps.warn(`  ${n.id}: ${n.reason}${restarts}; log: ${n.logFile ? this.deps.short(n.logFile) : '-'}`);
      const tail = tailFile(n.logFile, 3).split('\n').filter(Boolean);
      for (const line of tail) this.deps.warn(`      ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`);
    }
  }
}
