import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * Every process and temp dir the runtime starts is registered here, so none can outlive the
 * process that started it, however that process ends:
 * - normal exit or `process.exit()` (e.g. a jest worker finishing): a synchronous `exit` hook
 *   SIGKILLs the tracked pids and removes the tracked dirs;
 * - abrupt death (SIGKILL of a jest worker, a crash in native code): a tiny `/bin/sh` "reaper"
 *   started on first use reads the pid list from a pipe; when the pipe closes (its parent died)
 *   it SIGKILLs what is still listed and removes the dirs. It ignores SIGINT/SIGHUP so a Ctrl-C
 *   of the whole process group cannot kill it before it has done its job.
 * Only pids registered here are ever signalled: the runtime never touches processes it did not start.
 */
const trackedPids = new Map<number, string>();
const trackedDirs = new Set<string>();
let reaper: ChildProcess | undefined;
let reaperBroken = false;
let exitHookInstalled = false;

const REAPER_SCRIPT = `
trap '' INT HUP
pids=""; dirs=""
while IFS= read -r line; do
  case "$line" in
    p+*) pids="$pids \${line#p+}";;
    p-*) n=""; for q in $pids; do [ "$q" = "\${line#p-}" ] || n="$n $q"; done; pids="$n";;
    d+*) dirs="$dirs \${line#d+}";;
    d-*) n=""; for q in $dirs; do [ "$q" = "\${line#d-}" ] || n="$n $q"; done; dirs="$n";;
  esac
done
for p in $pids; do kill -9 "$p" 2>/dev/null; done
for d in $dirs; do rm -rf "$d"; done
`;

function exitHook(): void {
  for (const pid of trackedPids.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  trackedPids.clear();
  for (const dir of trackedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  trackedDirs.clear();
}

function tellReaper(line: string): void {
  if (reaperBroken) return;
  if (!reaper) {
    try {
      reaper = spawn('/bin/sh', ['-c', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      reaper.on('error', () => {
        reaperBroken = true;
      });
      reaper.stdin?.on('error', () => {
        reaperBroken = true;
      });
      reaper.unref();
      (reaper.stdin as unknown as Socket | null)?.unref?.();
    } catch {
      reaperBroken = true;
      return;
    }
  }
  reaper.stdin?.write(`${line}\n`);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', exitHook);
}

/** Registers a pid started by the runtime so it is SIGKILLed if this process ends first. */
export function trackPid(pid: number, label: string): void {
  installExitHook();
  trackedPids.set(pid, label);
  tellReaper(`p+${pid}`);
}

/** Forgets a pid once its process has exited (so a reused pid is never signalled). */
export function untrackPid(pid: number): void {
  if (trackedPids.delete(pid)) tellReaper(`p-${pid}`);
}

/** Registers a temp dir created by the runtime so it is removed if this process ends first. */
export function trackDir(dir: string): void {
  installExitHook();
  trackedDirs.add(dir);
  if (!/\s/.test(dir)) tellReaper(`d+${dir}`);
}

/** Forgets a temp dir once it has been removed. */
export function untrackDir(dir: string): void {
  if (trackedDirs.delete(dir) && !/\s/.test(dir)) tellReaper(`d-${dir}`);
}

/** The pids the runtime currently owns in this process, with what they are (for diagnostics). */
export function ownedProcesses(): ReadonlyArray<{ pid: number; label: string }> {
  return [...trackedPids].map(([pid, label]) => ({ pid, label }));
}

/** Pids currently owned by this process (for diagnostics and tests). */
export function ownedPids(): number[] {
  return [...trackedPids.keys()];
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
