import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

/** Exit code of a service with a bad configuration (EX_CONFIG): never restarted. */
export const CONFIG_ERROR_EXIT_CODE = 78;

/** How to run one supervised process. */
export interface ProcessSpec {
  /** Unique id, e.g. `likes-1`. */
  id: string;
  /** Executable, e.g. process.execPath. */
  command: string;
  args?: string[];
  /** Full environment of the child (default: the parent's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended to this file (created with its folder); else discarded. */
  logFile?: string;
}

/** Options of the {@link Supervisor}. */
export interface SupervisorOptions {
  /** First restart delay (default 250 ms); doubles on each consecutive crash. */
  initialBackoffMs?: number;
  /** Cap of the restart delay (default 5000 ms). */
  maxBackoffMs?: number;
  /** A process that stayed up this long is healthy again: its next restart uses the initial delay (default 30000 ms). */
  resetAfterMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10000 ms). */
  stopTimeoutMs?: number;
  /** Where `[supervisor] ...` lines go (default: stderr). */
  log?: (line: string) => void;
}

/** Lifecycle state of a supervised process. */
export type ProcessState = 'running' | 'backoff' | 'failed' | 'stopping' | 'stopped';

/** How a process ended. */
export interface ExitDescription {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A snapshot of one supervised process. */
export interface ProcessStatus {
  id: string;
  /** Pid of the current (or last) child. */
  pid: number | undefined;
  state: ProcessState;
  /** How many times it was restarted. */
  restarts: number;
  /** The last exit, if any. */
  lastExit: ExitDescription | undefined;
  /** When the current child was spawned (ms since epoch). */
  startedAt: number | undefined;
  logFile: string | undefined;
}

/** Events of the {@link Supervisor}. */
export interface SupervisorEvents {
  spawn: [{ id: string; pid: number; restarts: number }];
  exit: [{ id: string; pid: number; code: number | null; signal: NodeJS.Signals | null; uptimeMs: number; expected: boolean }];
  'restart-scheduled': [{ id: string; delayMs: number; attempt: number }];
  'gave-up': [{ id: string; code: number | null; reason: string }];
}

/** Restart delay after `consecutiveFailures` crashes in a row (0 → the initial delay), capped. */
export function backoffDelay(consecutiveFailures: number, initialMs = 250, maxMs = 5000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, consecutiveFailures));
}

/** "SIGKILL" or "code 1". */
export function describeExit(exit: ExitDescription): string {
  return exit.signal ?? `code ${exit.code}`;
}

/**
 * The last `lines` non-empty lines a process wrote in its current run: what follows the last
 * `failsoft: starting` line of its log file (the supervisor's own JSON lines), without the supervisor's
 * lines ('' when unreadable).
 */
export function tailFile(file: string | undefined, lines = 8): string {
  if (!file) return '';
  try {
    const text = readFileSync(file, 'utf8').slice(-64_000);
    const start = text.lastIndexOf('failsoft: starting ');
    const run = start === -1 ? text : text.slice(text.indexOf('\n', start) + 1);
    return run
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('=== ') && !l.includes('"service":"supervisor"'))
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

class Supervised {
  child: ChildProcess | undefined;
  pid: number | undefined;
  state: ProcessState = 'running';
  restarts = 0;
  consecutiveFailures = 0;
  startedAt: number | undefined;
  lastExit: ExitDescription | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Resolves when the current child has exited (replaced on each spawn). */
  exited: Promise<ExitDescription> = Promise.resolve({ code: null, signal: null });

  constructor(readonly spec: ProcessSpec) {}
}

/**
 * Runs child processes and keeps them running: every exit is restarted with exponential backoff
 * (initial 250 ms, doubling, capped at 5 s, reset once a child stayed up 30 s), except exit code 78
 * (a configuration error: reported once, never restart-looped) and exits during stop().
 * Each child runs in its own process group (detached) so a terminal Ctrl-C reaches only the CLI,
 * which then stops the children in order. Only the pids it spawned are ever signalled.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly processes = new Map<string, Supervised>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly resetAfterMs: number;
  private readonly stopTimeoutMs: number;
  private readonly log: (line: string) => void;
  private shuttingDown = false;

  constructor(options: SupervisorOptions = {}) {
    super();
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.resetAfterMs = options.resetAfterMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** True once stopAll() was called: nothing is restarted any more. */
  get stopping(): boolean {
    return this.shuttingDown;
  }

  /** Starts a process under supervision. */
  start(spec: ProcessSpec): void {
    if (this.shuttingDown) throw new Error(`supervisor: cannot start ${spec.id} while stopping`);
    if (this.processes.has(spec.id)) throw new Error(`supervisor: a process with id ${JSON.stringify(spec.id)} is already supervised`);
    const entry = new Supervised(spec);
    this.processes.set(spec.id, entry);
    this.spawn(entry);
  }

  /** Snapshot of one process (undefined when unknown). */
  status(id: string): ProcessStatus | undefined {
    const p = this.processes.get(id);
    return p && this.snapshot(p);
  }

  /** Snapshots of every process, in start order. */
  list(): ProcessStatus[] {
    return [...this.processes.values()].map((p) => this.snapshot(p));
  }

  private snapshot(p: Supervised): ProcessStatus {
    return { id: p.spec.id, pid: p.pid, state: p.state, restarts: p.restarts, lastExit: p.lastExit, startedAt: p.startedAt, logFile: p.spec.logFile };
  }

  private spawn(entry: Supervised): void {
    const { spec } = entry;
    let fd: number | undefined;
    if (spec.logFile) {
      mkdirSync(dirname(spec.logFile), { recursive: true });
      appendFileSync(spec.logFile, logLine(spec.logFile, spec.id, `failsoft: starting ${spec.id}${entry.restarts ? ` (restart #${entry.restarts})` : ''}`));
      fd = openSync(spec.logFile, 'a');
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args ?? [], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'],
        detached: true,
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    entry.child = child;
    entry.pid = child.pid;
    entry.state = 'running';
    entry.startedAt = Date.now();
    let settled = false;
    entry.exited = new Promise<ExitDescription>((resolve) => {
      const onEnd = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
        if (settled) return;
        settled = true;
        const exit = { code, signal };
        this.onExit(entry, child, exit, spawnError);
        resolve(exit);
      };
      child.once('exit', (code, signal) => onEnd(code, signal));
      child.once('error', (error) => onEnd(null, null, error));
    });
    if (child.pid !== undefined) this.emit('spawn', { id: spec.id, pid: child.pid, restarts: entry.restarts });
  }

  private onExit(entry: Supervised, child: ChildProcess, exit: ExitDescription, spawnError?: Error): void {
    const { id, logFile } = entry.spec;
    const uptimeMs = Date.now() - (entry.startedAt ?? Date.now());
    entry.lastExit = exit;
    entry.child = undefined;
    const expected = this.shuttingDown || entry.state === 'stopping';
    if (logFile) {
      try {
        appendFileSync(logFile, logLine(logFile, id, `failsoft: ${id} exited (${spawnError ? spawnError.message : describeExit(exit)}) after ${(uptimeMs / 1000).toFixed(1)} s`));
      } catch {
        // the log is best effort
      }
    }
    this.emit('exit', { id, pid: child.pid ?? -1, code: exit.code, signal: exit.signal, uptimeMs, expected });
    if (expected) {
      entry.state = 'stopped';
      return;
    }
    if (exit.code === CONFIG_ERROR_EXIT_CODE) {
      entry.state = 'failed';
      const tail = tailFile(logFile, 12)
        .split('\n')
        .filter(Boolean)
        .map((l) => `    ${l}`)
        .join('\n');
      const reason = `exited with code ${CONFIG_ERROR_EXIT_CODE} (configuration error)`;
      this.log(
        `[supervisor] ${id} ${reason}; not restarting it (it would fail the same way).` +
          (logFile ? ` Fix the configuration; its log is ${logFile}` : '') +
          (tail ? `:\n${tail}` : ''),
      );
      this.emit('gave-up', { id, code: exit.code, reason });
      return;
    }
    if (uptimeMs >= this.resetAfterMs) entry.consecutiveFailures = 0;
    const delayMs = backoffDelay(entry.consecutiveFailures, this.initialBackoffMs, this.maxBackoffMs);
    entry.consecutiveFailures++;
    entry.state = 'backoff';
    const what = spawnError ? `could not start (${spawnError.message})` : `exited (${describeExit(exit)})`;
    this.log(`[supervisor] ${id} ${what}; restarting in ${delayMs} ms`);
    this.emit('restart-scheduled', { id, delayMs, attempt: entry.consecutiveFailures });
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.shuttingDown || entry.state !== 'backoff') return;
      entry.restarts++;
      this.spawn(entry);
    }, delayMs);
  }

  /**
   * Sends `signal` (default SIGKILL) to the current child of `id`, as a crash would: the
   * supervisor restarts it as usual (SIGSTOP / SIGCONT just pause and resume it).
   * @returns the pid signalled, or undefined when it has no live child (stopped, in backoff).
   */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): number | undefined {
    const entry = this.processes.get(id);
    if (!entry) throw new Error(`supervisor: no process with id ${JSON.stringify(id)}`);
    const pid = entry.child?.pid;
    if (pid === undefined) return undefined;
    signalPid(pid, signal);
    return pid;
  }

  /**
   * Starts a process again that stop() held down (or that gave up with a configuration error),
   * with a fresh backoff; a running process is left alone and one waiting in backoff starts now.
   */
  startAgain(id: string): void {
    if (this.shuttingDown) throw new Error(`supervisor: cannot start ${id} while stopping`);
    const entry = this.processes.get(id);
    if (!entry) throw new Error(`supervisor: no process with id ${JSON.stringify(id)}`);
    if (entry.state === 'stopping') throw new Error(`supervisor: ${id} is still stopping; await stop() before starting it again`);
    if (entry.state === 'running') return;
    if (entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    entry.consecutiveFailures = 0;
    entry.restarts++;
    this.spawn(entry);
  }

  /**
   * Stops one process for good (no restart): SIGCONT (in case it was SIGSTOPped), then `signal`
   * (default SIGTERM: the service drains), then SIGKILL after `timeoutMs`. Resolves once it has exited.
   */
  async stop(id: string, options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    const entry = this.processes.get(id);
    if (!entry) return;
    if (entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    const child = entry.child;
    if (!child || entry.state === 'stopped' || entry.state === 'failed') {
      if (entry.state !== 'failed') entry.state = 'stopped';
      return;
    }
    entry.state = 'stopping';
    signalPid(child.pid, 'SIGCONT');
    signalPid(child.pid, options.signal ?? 'SIGTERM');
    const timeoutMs = options.timeoutMs ?? this.stopTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([entry.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.log(`[supervisor] ${id} did not exit ${timeoutMs} ms after ${options.signal ?? 'SIGTERM'}; sending SIGKILL`);
      signalPid(child.pid, 'SIGKILL');
      await entry.exited;
    }
  }

  /**
   * Stops the given processes (default: all) in parallel and restarts nothing any more
   * (stopping every process turns the supervisor into shutdown mode).
   */
  async stopAll(options: { ids?: string[]; signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    const ids = options.ids ?? [...this.processes.keys()];
    if (!options.ids) this.shuttingDown = true;
    await Promise.all(ids.map((id) => this.stop(id, options)));
  }

  /** Shutdown mode: no restarts from now on (the caller then stops processes in its own order). */
  beginShutdown(): void {
    this.shuttingDown = true;
    for (const entry of this.processes.values()) {
      if (entry.timer) {
        clearTimeout(entry.timer);
        entry.timer = undefined;
      }
    }
  }

  /** SIGKILLs every live child at once, synchronously (second Ctrl-C, or process exit). */
  killAllNow(): void {
    this.beginShutdown();
    for (const entry of this.processes.values()) {
      if (entry.child) {
        entry.state = 'stopping';
        signalPid(entry.child.pid, 'SIGCONT');
        signalPid(entry.child.pid, 'SIGKILL');
      }
    }
  }
}

function signalPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * The supervisor's own line in a process's log, in the services' JSON line format (so every line
 * of a log is JSON), after a newline when the process died mid-line.
 */
function logLine(logFile: string, id: string, msg: string): string {
  const line = `${JSON.stringify({ time: new Date().toISOString(), level: 'info', service: 'supervisor', instance: id, msg })}\n`;
  return endsMidLine(logFile) ? `\n${line}` : line;
}

function endsMidLine(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
