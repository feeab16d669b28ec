import { readRunState, shortPath, writeRunState, type FailsoftPaths, type RunState } from '../run-state';
import { REDIS } from '../topology';
import { AlreadyRunningError, keepPreviousLogs, killLeftovers, stillRunning } from './leftovers';

/** What the parts of a running platform contribute to the run-state file, read on every save. */
export interface RunStateSources {
  /** Every service instance with its supervised state. */
  processes(): RunState['processes'];
  /** The front door as it is now (`pending` before it started). */
  frontDoor(): RunState['frontDoor'];
  /** Redis and the sentinels as they are now; undefined before Redis started. */
  redis(): RunState['redis'] | undefined;
  /** The local Prometheus once started; undefined when it does not run (optional: older callers). */
  prometheus?(): RunState['prometheus'];
}

/**
 * `.failsoft/run-state.json` of one platform: claims the folder of files at start (one platform
 * per folder; leftovers of a run that died abruptly are killed), then writes the file atomically
 * whenever something changed, composed from its {@link RunStateSources}. Nothing is written
 * before the claim, so a platform refused with {@link AlreadyRunningError} never touches the
 * running one's file.
 */
export class RunStateStore {
  private readonly state: RunState;
  private claimed = false;

  constructor(
    private readonly paths: FailsoftPaths,
    workspace: string,
    startedAt: number,
    private readonly sources: RunStateSources,
    private readonly warn: (line: string) => void,
  ) {
    this.state = {
      version: 1,
      cliPid: process.pid,
      workspace,
      startedAt: new Date(startedAt).toISOString(),
      readyAt: null,
      stoppedAt: null,
      frontDoor: { url: '', kind: 'pending', port: null, pid: null, statsUrl: null, config: null },
      redis: { masterName: REDIS.masterName, master: null, servers: [], replicas: [], sentinels: [], dir: null },
      processes: [],
      secretsFile: shortPath(workspace, paths.secrets),
      logsDir: shortPath(workspace, paths.logs),
    };
  }

  /**
   * Takes the folder of files for this platform: refuses when another platform runs on it, kills
   * what a previous run that died abruptly left behind, and moves the previous logs aside.
   * @returns the pids of the leftovers killed. @throws AlreadyRunningError
   */
  claim(): number[] {
    let previous: RunState | undefined;
    try {
      previous = readRunState(this.paths.runState);
    } catch {
      previous = undefined; // unreadable: overwritten on the first save
    }
    if (previous && stillRunning(previous)) throw new AlreadyRunningError(previous);
    const killed = previous ? killLeftovers(previous) : [];
    keepPreviousLogs(this.paths.logs);
    this.claimed = true;
    return killed;
  }

  /** The logs folder relative to the workspace (`.failsoft/logs`). */
  get logsDir(): string {
    return this.state.logsDir;
  }

  /** Sets fields the platform owns (`control`, `readyAt`, `stoppedAt`) and saves. */
  update(patch: Partial<Pick<RunState, 'control' | 'readyAt' | 'stoppedAt'>>): void {
    Object.assign(this.state, patch);
    if ('control' in patch && patch.control === undefined) delete this.state.control;
    this.save();
  }

  /** The file's content as of now (a copy). */
  snapshot(): RunState {
    this.compose();
    return JSON.parse(JSON.stringify(this.state)) as RunState;
  }

  /** Writes the file (atomically) when the folder was claimed; a failed write is only warned about. */
  save(): void {
    if (!this.claimed) return;
    this.compose();
    try {
      writeRunState(this.paths.runState, this.state);
    } catch (error) {
      this.warn(`[state] could not write ${this.paths.runState}: ${(error as Error).message}`);
    }
  }

  private compose(): void {
    this.state.processes = this.sources.processes();
    this.state.frontDoor = this.sources.frontDoor();
    const redis = this.sources.redis();
    if (redis) this.state.redis = redis;
    const prometheus = this.sources.prometheus?.();
    if (prometheus) this.state.prometheus = prometheus;
    else delete this.state.prometheus;
  }
}
