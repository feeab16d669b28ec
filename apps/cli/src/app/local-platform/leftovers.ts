import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commandLine, isProcessAlive } from '@failsoft/local-runtime';
import type { RunState } from '../run-state';

/** Thrown when another `failsoft up` runs on the same folder of files (it is left alone). */
export class AlreadyRunningError extends Error {
  /** @param previous the run-state of the platform that runs. */
  constructor(previous: RunState) {
    super(
      `failsoft up: the platform is already running here (pid ${previous.cliPid}, ${previous.frontDoor.url}).\n` +
        `Stop it first (Ctrl-C in its terminal, or kill -TERM ${previous.cliPid}), or see it with: npm run failsoft -- status`,
    );
    this.name = 'AlreadyRunningError';
  }
}

/** True when `error` is an {@link AlreadyRunningError}. */
export function isAlreadyRunningError(error: unknown): error is AlreadyRunningError {
  return error instanceof AlreadyRunningError;
}

/** True when the run-state names a `failsoft up` (or a test runner) that is still alive and not this process. */
export function stillRunning(previous: RunState): boolean {
  return previous.stoppedAt === null && previous.cliPid !== process.pid && isProcessAlive(previous.cliPid) && /up|jest/.test(commandLine(previous.cliPid));
}

/** A command line of the Prometheus started in `dir` (relative to `workspace`): it names `prometheus` and that folder's config. */
function prometheusMatch(workspace: string, dir: string): (cmd: string) => boolean {
  const config = join(resolve(workspace, dir), 'prometheus.yml');
  return (cmd) => cmd.includes('prometheus') && cmd.includes(`--config.file=${config}`);
}

/**
 * Kills what a previous `failsoft up` left behind when it died without stopping (its pid is gone
 * but some children live on): services, HAProxy, Redis servers and sentinels, and the local
 * Prometheus. Only pids listed in its run-state whose command line still matches what was started
 * there are signalled.
 */
export function killLeftovers(previous: RunState): number[] {
  const candidates: Array<{ pid: number | null; match: (cmd: string) => boolean }> = [
    ...previous.processes.map((p) => ({ pid: p.pid, match: (cmd: string) => cmd.includes(`dist/apps/${p.service}/`) })),
    ...[previous.frontDoor.pid, ...(previous.frontDoor.instances ?? []).map((i) => i.pid)].map((pid) => ({ pid, match: (cmd: string) => cmd.includes('haproxy') })),
    ...[...previous.redis.servers, ...previous.redis.sentinels].map((s) => ({ pid: s.pid, match: (cmd: string) => cmd.includes('redis-server') && cmd.includes(`:${s.port}`) })),
    ...(previous.prometheus ? [{ pid: previous.prometheus.pid, match: prometheusMatch(previous.workspace, previous.prometheus.dir) }] : []),
  ];
  const killed: number[] = [];
  for (const { pid, match } of candidates) {
    if (pid === null || pid === process.pid || !isProcessAlive(pid) || !match(commandLine(pid))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** Each run starts with fresh logs; the previous run's stay in `logs/previous/` (one generation). */
export function keepPreviousLogs(logs: string): void {
  mkdirSync(logs, { recursive: true });
  const files = readdirSync(logs).filter((f) => f.endsWith('.log'));
  if (files.length === 0) return;
  const previous = join(logs, 'previous');
  rmSync(previous, { recursive: true, force: true });
  mkdirSync(previous);
  for (const file of files) renameSync(join(logs, file), join(previous, file));
}
