import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, isPortFree, waitUntil, type Supervisor } from '@failsoft/local-runtime';
import { checkHaproxyConfig, findHaproxy, haproxyConfig, missingHaproxyWarning } from '../haproxy';
import { probe } from '../readiness';
import type { FailsoftPaths, RunState } from '../run-state';
import { LOCAL_HOST, type InstancePlan } from '../topology';
import { seconds } from './format';
import { FrontDoorWatchdog } from './front-door-watchdog';

/** What the {@link FrontDoor} needs from the platform around it. */
export interface FrontDoorDeps {
  readonly workspace: string;
  readonly paths: FailsoftPaths;
  /** Runs the HAProxy processes (ids `haproxy-1`, `haproxy-2`). */
  readonly supervisor: Supervisor;
  readonly say: (line: string) => void;
  readonly warn: (line: string) => void;
  /** A path relative to the workspace, for messages. */
  readonly short: (path: string) => string;
}

/** How many HAProxy processes share the front door's port (active-active). */
export const FRONT_DOOR_PROCESSES = 2;

/** Supervisor id of front-door process `n` (1-based): `haproxy-1`. */
export function frontDoorId(n: number): string {
  return `haproxy-${n}`;
}

/** One HAProxy process of the front door. */
interface DoorProcess {
  id: string;
  statsUrl: string;
  healthUrl: string;
  config: string;
}

/**
 * The front door of the local platform: one URL over the gateways, served by two HAProxy processes
 * under the supervisor, both bound to the same port (HAProxy sets SO_REUSEPORT on Linux, so the
 * kernel spreads new connections over both: active-active; when one dies the other keeps
 * accepting), each health-checking every gateway's /readyz; a {@link FrontDoorWatchdog} replaces a
 * hung one. Without HAProxy: the first gateway directly (with a warning saying what is lost).
 */
export class FrontDoor {
  private binary: string | undefined;
  private port = 0;
  private doors: DoorProcess[] = [];
  private watchdog: FrontDoorWatchdog | undefined;
  private current: RunState['frontDoor'] = { url: '', kind: 'pending', port: null, pid: null, statsUrl: null, config: null };

  constructor(private readonly deps: FrontDoorDeps) {}

  /** Supervisor ids of the HAProxy processes ([] before the start or without HAProxy). */
  get ids(): string[] {
    return this.doors.map((d) => d.id);
  }

  /** How many hung front-door processes the watchdog replaced. */
  get hungReplaced(): number {
    return this.watchdog?.replacements ?? 0;
  }

  /** The front door URL ('' before it started). */
  get url(): string {
    return this.current.url;
  }

  /** True when HAProxy serves it (not the first gateway directly). */
  get proxied(): boolean {
    return this.current.kind === 'haproxy';
  }

  /** The front door as the run-state file shows it. */
  runState(): RunState['frontDoor'] {
    if (this.current.kind !== 'haproxy') return { ...this.current };
    const instances = this.doors.map((d) => ({ id: d.id, pid: this.deps.supervisor.status(d.id)?.pid ?? null, statsUrl: d.statsUrl, config: d.config }));
    return { ...this.current, pid: instances[0]?.pid ?? null, instances };
  }

  /** Finds HAProxy and picks the port: `wanted`, a free one for 0, or a free one (said so) when `wanted` is taken. */
  async choosePort(wanted: number): Promise<void> {
    this.binary = findHaproxy();
    this.port = wanted;
    if (!this.binary) return;
    if (wanted === 0) {
      this.port = await getFreePort();
    } else if (!(await isPortFree(wanted, LOCAL_HOST))) {
      this.port = await getFreePort();
      this.deps.say(`[front door] port ${wanted} is taken; using ${this.port} instead (choose one with --front-door-port or FRONT_DOOR_PORT)`);
    }
  }

  /** Starts HAProxy over `gateways` (its config checked with `haproxy -c` first), or falls back to the first gateway. */
  async start(gateways: readonly InstancePlan[]): Promise<void> {
    const { paths, workspace, supervisor } = this.deps;
    if (!this.binary) {
      this.deps.warn(missingHaproxyWarning(gateways[0].url));
      this.current = { url: gateways[0].url, kind: 'direct', port: gateways[0].httpPort, pid: null, statsUrl: null, config: null };
      return;
    }
    const gatewayServers = gateways.map((g) => ({ id: g.id, host: LOCAL_HOST, port: g.httpPort }));
    this.doors = [];
    for (let n = 1; n <= FRONT_DOOR_PROCESSES; n++) {
      const id = frontDoorId(n);
      const statsPort = await getFreePort();
      const file = paths.haproxyConfig.replace(/\.cfg$/, `-${n}.cfg`);
      writeFileSync(file, haproxyConfig({ frontDoorPort: this.port, statsPort, gateways: gatewayServers, name: id }));
      const check = checkHaproxyConfig(this.binary, file);
      if (!check.ok) throw new Error(`haproxy rejected the generated ${this.deps.short(file)}:\n${check.output}`);
      const statsUrl = `http://${LOCAL_HOST}:${statsPort}/`;
      this.doors.push({ id, statsUrl, healthUrl: `${statsUrl}healthz`, config: this.deps.short(file) });
      supervisor.start({ id, command: this.binary, args: ['-f', file, '-db'], cwd: workspace, logFile: join(paths.logs, `${id}.log`) });
    }
    this.watchdog = new FrontDoorWatchdog(supervisor, () => this.doors, { log: this.deps.warn });
    this.watchdog.start();
    this.current = {
      url: `http://${LOCAL_HOST}:${this.port}`,
      kind: 'haproxy',
      port: this.port,
      pid: supervisor.status(this.doors[0].id)?.pid ?? null,
      statsUrl: this.doors[0].statsUrl,
      config: this.doors[0].config,
    };
  }

  /** Stops the watchdog and the HAProxy processes (those that run). */
  async stop(): Promise<void> {
    this.watchdog?.shutdown();
    const ids = this.ids.filter((id) => this.deps.supervisor.status(id));
    if (ids.length === 0) return;
    this.deps.say(`[stop] stopping the front door (${ids.join(', ')})`);
    await this.deps.supervisor.stopAll({ ids, timeoutMs: 3000 });
  }

  /**
   * After the instances' readiness wait: with HAProxy, waits (up to 10 s) for the front door to
   * answer /readyz 200 when some gateway is ready. @returns the problem, or undefined when none.
   */
  async waitReady(someGatewayReady: boolean): Promise<string | undefined> {
    if (!this.proxied) return undefined;
    if (!someGatewayReady) {
      this.deps.warn(`[front door] no gateway is ready: ${this.url} answers 503 until one is`);
      return 'no gateway ready';
    }
    const t = Date.now();
    try {
      await waitUntil(async () => (await probe(`${this.url}/readyz`, 1000)).status === 200, { timeoutMs: 10_000, intervalMs: 100, message: 'the front door' });
      this.deps.say(`[front door] ${this.doors.length} haproxy processes ready on ${this.url}, sharing the port (SO_REUSEPORT) (${seconds(Date.now() - t)}; stats ${this.doors.map((d) => d.statsUrl).join(' ')})`);
      return undefined;
    } catch {
      this.deps.warn(`[front door] ${this.url} did not answer /readyz 200 within 10 s; haproxy logs: ${this.ids.map((id) => this.deps.short(join(this.deps.paths.logs, `${id}.log`))).join(', ')}`);
      return 'front door not ready';
    }
  }

  /** Waits until every HAProxy process runs, the front door answers /readyz 200 and each process has every one of `gateways` UP (a no-op without HAProxy). */
  async waitAllUp(gateways: readonly string[], timeoutMs: number): Promise<void> {
    if (!this.proxied) return;
    await waitUntil(
      async () => {
        if ((await probe(`${this.url}/readyz`, 1000)).status !== 200) throw new Error('the front door does not answer /readyz 200');
        for (const door of this.doors) {
          const up = await this.serversUpOf(door);
          const missing = gateways.filter((g) => !up.includes(g));
          if (missing.length > 0) throw new Error(`${door.id} does not see ${missing.join(', ')} UP yet`);
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, message: 'every front-door process to see every gateway up' },
    );
  }

  /** The gateways every HAProxy process has UP right now, from their stats CSV ([] without HAProxy). */
  async serversUp(): Promise<string[]> {
    if (this.doors.length === 0) return [];
    const each = await Promise.all(this.doors.map((d) => this.serversUpOf(d)));
    return each.reduce((all, up) => all.filter((g) => up.includes(g)));
  }

  /** How many connections each HAProxy process accepted on the front door so far (its stats: `stot` of the frontend), by id. */
  async acceptedConnections(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const door of this.doors) {
      const rows = await this.statsRows(door);
      out[door.id] = Number(rows.find((cols) => cols[0] === 'failsoft' && cols[1] === 'FRONTEND')?.[7] ?? 0);
    }
    return out;
  }

  private async serversUpOf(door: DoorProcess): Promise<string[]> {
    return (await this.statsRows(door)).filter((cols) => cols[0] === 'gateways' && cols[1] !== 'BACKEND' && cols[1] !== 'FRONTEND' && /^UP/.test(cols[17] ?? '')).map((cols) => cols[1]);
  }

  private async statsRows(door: DoorProcess): Promise<string[][]> {
    const csv = await probe(`${door.statsUrl};csv`, 1000);
    if (csv.status !== 200) throw new Error(`${door.id} stats answered ${csv.status ?? csv.error}`);
    // the probe keeps the first 2 KB: enough for the frontends and a few servers
    return csv.body.split('\n').map((line) => line.split(','));
  }
}
