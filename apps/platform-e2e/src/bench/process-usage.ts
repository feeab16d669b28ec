import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One process the bench watches: its kind (`gateway`, `redis`, `client`...) and pid. */
export interface WatchedProcess {
  id: string;
  kind: string;
  pid: number;
}

/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be read). */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** VmRSS of `/proc/<pid>/status` in MB, or undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * utime + stime of `/proc/<pid>/stat` in clock ticks (fields 14 and 15; the command name in
 * parentheses may hold spaces, so fields are counted after its closing parenthesis), or undefined
 * when the process is gone.
 */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Busy clock ticks of the whole machine (every CPU) from the first line of `/proc/stat`: all
 * time but idle and iowait; undefined when it cannot be read.
 */
export function machineBusyTicks(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (!line.startsWith('cpu ') || ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    return ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4];
  } catch {
    return undefined;
  }
}

/** CPU and memory of the watched processes over one measured window. */
export interface UsageWindow {
  /** Wall time of the window, ms. */
  wallMs: number;
  /** CPU cores busy on average per kind (ticks / ticks per second / wall seconds). */
  cpuCores: Record<string, number>;
  /** Largest VmRSS sample per kind (any instance), MB. */
  rssMbMax: Record<string, number>;
  /** CPU cores the whole machine was busy on average (the platform, the bench and everyone else); undefined without /proc/stat. */
  machineBusyCores?: number;
}

/**
 * Samples VmRSS every `sampleMs` and reads CPU ticks at {@link start} and {@link stop}: the
 * figures of the watched processes over one window. A process missing at either end (restarted)
 * is left out of the CPU figures of that window.
 */
export class UsageSampler {
  private ticksAtStart = new Map<number, number>();
  private machineAtStart: number | undefined;
  private startedAt = 0;
  private readonly rss: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;

  /** @param processes what to watch. @param ticksPerSecond see {@link clockTicksPerSecond}. */
  constructor(
    private readonly processes: readonly WatchedProcess[],
    private readonly ticksPerSecond: number,
    private readonly sampleMs = 250,
  ) {}

  /** Reads the CPU ticks now and starts sampling RSS. */
  start(): void {
    this.startedAt = performance.now();
    this.machineAtStart = machineBusyTicks();
    for (const p of this.processes) {
      const ticks = cpuTicks(p.pid);
      if (ticks !== undefined) this.ticksAtStart.set(p.pid, ticks);
    }
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), this.sampleMs);
    this.timer.unref();
  }

  /** Stops sampling and returns the window's figures. */
  stop(): UsageWindow {
    clearInterval(this.timer);
    this.sampleRss();
    const wallMs = performance.now() - this.startedAt;
    const cpuCores: Record<string, number> = {};
    for (const p of this.processes) {
      const end = cpuTicks(p.pid);
      const start = this.ticksAtStart.get(p.pid);
      if (end === undefined || start === undefined) continue;
      cpuCores[p.kind] = (cpuCores[p.kind] ?? 0) + (end - start) / this.ticksPerSecond / (wallMs / 1000);
    }
    const machineEnd = machineBusyTicks();
    const machineBusyCores = machineEnd === undefined || this.machineAtStart === undefined ? undefined : (machineEnd - this.machineAtStart) / this.ticksPerSecond / (wallMs / 1000);
    return { wallMs, cpuCores, rssMbMax: { ...this.rss }, machineBusyCores };
  }

  private sampleRss(): void {
    for (const p of this.processes) {
      const mb = rssMb(p.pid);
      if (mb !== undefined && mb > (this.rss[p.kind] ?? 0)) this.rss[p.kind] = mb;
    }
  }
}
