import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Pids started by this process that must die with it. */
const owned = new Set<number>();
let exitHookInstalled = false;

/** Kills every owned pid synchronously (used from `process.on('exit')`). */
function killAllOwned(): void {
  for (const pid of owned) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  owned.clear();
}

/**
 * Shell watchdog: polls once a second; when OUR process ($1) is gone while the child ($2) still
 * runs, it SIGKILLs the child. This covers the cases `process.on('exit')` cannot (SIGKILL of the
 * jest worker, OOM kill). It exits by itself as soon as either pid is gone.
 */
const WATCHDOG = [
  'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done',
  'if ! kill -0 "$1" 2>/dev/null; then kill -CONT "$2" 2>/dev/null; kill -KILL "$2" 2>/dev/null; fi',
].join('\n');

/**
 * Registers a child pid owned by this process: it is SIGKILLed when this process exits (normally or
 * via process.exit) and, through a detached watchdog, even when this process is killed abruptly.
 */
export function trackPid(pid: number): void {
  owned.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllOwned);
  }
  try {
    const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'failsoft-watchdog', String(process.pid), String(pid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.on('error', () => undefined);
    watchdog.unref();
  } catch {
    // no /bin/sh: the exit hook still covers normal exits
  }
}

/** Forgets a pid (after it has exited). */
export function untrackPid(pid: number): void {
  owned.delete(pid);
}

/** Pids currently owned by this process (for diagnostics and tests). */
export function ownedPids(): number[] {
  return [...owned];
}

/**
 * True when `pid` is a live process. Zombies (exited but not reaped) count as dead, which matters
 * when their parent was killed and the container's init does not reap.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}
