import type { Supervisor } from '@failsoft/local-runtime';
import { probe } from '../readiness';

/** One front-door process the watchdog looks after. */
export interface WatchedFrontDoor {
  /** Supervisor id (`haproxy-1`). */
  readonly id: string;
  /** Its own health URL (the monitor URI on its stats port), answered by that process only. */
  readonly healthUrl: string;
}

/** Settings of a {@link FrontDoorWatchdog}. */
export interface FrontDoorWatchdogOptions {
  /** Pause between rounds of probes (default 200 ms). */
  intervalMs?: number;
  /** Bound of one probe (default 300 ms: HAProxy answers its monitor URI in well under a millisecond). */
  timeoutMs?: number;
  /** Consecutive failed probes that make a process hung (default 2). */
  misses?: number;
  /** How long a fresh process may take to answer its first probe before it is judged like any other (default 5000 ms). */
  startGraceMs?: number;
  /** Called with each replacement, in words. */
  log?: (line: string) => void;
}

const DEFAULTS = { intervalMs: 200, timeoutMs: 300, misses: 2, startGraceMs: 5000 } as const;

/**
 * Replaces a hung front door. Both HAProxy processes of `npm start` listen on the same port with
 * SO_REUSEPORT, and the kernel keeps handing new connections to a listener whose process is hung
 * (SIGSTOP, a busy loop): they wait in its accept queue. The watchdog probes each process's own
 * monitor URI; after `misses` failed probes in a row (of a process that answered once since it
 * started, or that had `startGraceMs` to do so) it SIGKILLs it: the kernel takes its listener out of the group at once, and the
 * supervisor starts a fresh one. Connections the hung process held are reset; a browser (and the
 * load generator) sends such a request again, on a new connection that only live processes get.
 */
export class FrontDoorWatchdog {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly misses: number;
  private readonly startGraceMs: number;
  private readonly missed = new Map<string, number>();
  /** The pid each process answered with last: a fresh pid must answer once before it can be judged hung. */
  private readonly answeredPid = new Map<string, number>();
  /** When the watchdog first saw each pid (ms), for the start grace. */
  private readonly firstSeen = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private replaced = 0;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly doors: () => readonly WatchedFrontDoor[],
    options: FrontDoorWatchdogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.misses = options.misses ?? DEFAULTS.misses;
    this.startGraceMs = options.startGraceMs ?? DEFAULTS.startGraceMs;
    for (const [name, value] of Object.entries({ intervalMs: this.intervalMs, timeoutMs: this.timeoutMs, misses: this.misses, startGraceMs: this.startGraceMs })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`FrontDoorWatchdog ${name} must be a positive integer; got ${value}`);
    }
    this.log = options.log ?? (() => undefined);
  }

  private readonly log: (line: string) => void;

  /** How many hung processes it replaced so far. */
  get replacements(): number {
    return this.replaced;
  }

  /** Starts the probe rounds (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops probing (idempotent); a round in progress finishes without acting. */
  shutdown(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.round().finally(() => this.schedule()), this.intervalMs);
    this.timer.unref();
  }

  /** One probe of every running front door; exported behaviour for tests through {@link start}. */
  async round(): Promise<void> {
    await Promise.all(this.doors().map((door) => this.check(door)));
  }

  private async check(door: WatchedFrontDoor): Promise<void> {
    const status = this.supervisor.status(door.id);
    if (!status || status.state !== 'running' || status.pid === undefined) {
      this.missed.delete(door.id);
      return;
    }
    const pid = status.pid;
    if (!this.firstSeen.has(pid)) this.firstSeen.set(pid, Date.now());
    const answer = await probe(door.healthUrl, this.timeoutMs);
    if (!this.running || this.supervisor.status(door.id)?.pid !== pid) return;
    if (answer.status === 200) {
      this.answeredPid.set(door.id, pid);
      this.missed.delete(door.id);
      return;
    }
    const starting = this.answeredPid.get(door.id) !== pid && Date.now() - (this.firstSeen.get(pid) ?? Date.now()) < this.startGraceMs;
    if (starting) return; // never answered yet, within its start grace: not judged yet
    const missed = (this.missed.get(door.id) ?? 0) + 1;
    this.missed.set(door.id, missed);
    if (missed < this.misses) return;
    this.missed.delete(door.id);
    this.answeredPid.delete(door.id);
    this.firstSeen.delete(pid);
    if (this.supervisor.kill(door.id, 'SIGKILL') === undefined) return;
    this.replaced += 1;
    this.log(`[front door] ${door.id} (pid ${pid}) did not answer ${door.healthUrl} ${missed} times in a row (${answer.error ?? `HTTP ${answer.status}`}): hung; SIGKILL, the supervisor starts a fresh one`);
  }
}
