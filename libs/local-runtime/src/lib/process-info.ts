import { readFileSync } from 'node:fs';

/** The state letter of `pid` in /proc/<pid>/stat (`R`, `S`, `T`...), undefined when unreadable. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is stopped (SIGSTOP), read from /proc/<pid>/stat (false when unknown, e.g. not
 * on Linux or the process is gone).
 */
export function isPaused(pid: number | null | undefined): boolean {
  if (pid === null || pid === undefined) return false;
  const state = procState(pid);
  return state === 'T' || state === 't';
}

/** The command line of `pid`, arguments joined by spaces ('' when unreadable). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
