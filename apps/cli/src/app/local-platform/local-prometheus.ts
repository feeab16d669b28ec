import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { getFreePort, isPortFree, waitUntil, type Supervisor } from '@failsoft/local-runtime';
import type { PrometheusState } from '../run-state';

/** Supervisor id of the local Prometheus. */
export const PROMETHEUS_ID = 'prometheus';
/** Port Prometheus gets when it is free (its usual one). */
export const PROMETHEUS_DEFAULT_PORT = 9090;

/** One scrape target: a service instance's HTTP port (`/metrics`). */
export interface ScrapeTarget {
  /** Instance id (`likes-1`): the `instance` label of its series. */
  readonly id: string;
  readonly service: string;
  readonly zone: string;
  /** `host:port` of its HTTP server. */
  readonly address: string;
}

/** Options of {@link LocalPrometheus}. */
export interface LocalPrometheusOptions {
  readonly supervisor: Supervisor;
  /** Folder of its config, targets file and data (`.failsoft/prometheus/`). */
  readonly dir: string;
  /** Folder of the platform's logs (its log is `prometheus.log`, JSON lines). */
  readonly logs: string;
  /** Scrape interval, seconds (default 5). */
  readonly scrapeIntervalS?: number;
  readonly say: (line: string) => void;
}

/**
 * The `prometheus` binary to run: `PROMETHEUS_BIN`, else `prometheus` on the PATH (Debian package
 * `prometheus`); `undefined` when there is none or `FAILSOFT_PROMETHEUS=off`.
 */
export function findPrometheus(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env['FAILSOFT_PROMETHEUS'] ?? '').toLowerCase() === 'off') return undefined;
  const explicit = env['PROMETHEUS_BIN'];
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, 'prometheus'))) return join(dir, 'prometheus');
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Prometheus for the local platform, under the supervisor: it scrapes every service instance
 * listed in a file_sd targets file (rewritten atomically whenever an instance starts again, read
 * by Prometheus within its refresh interval), keeps the data of the current run in `.failsoft/prometheus/data`,
 * and serves its UI and HTTP API on 127.0.0.1 (9090 when free).
 */
export class LocalPrometheus {
  private port = 0;
  private running = false;

  /** @param options supervisor, folders, scrape interval. */
  constructor(private readonly options: LocalPrometheusOptions) {}

  /** Its URL once started (`http://127.0.0.1:<port>`), else undefined. */
  get url(): string | undefined {
    return this.running ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** Writes its config and targets, starts it and waits (bounded) until it answers `/-/ready`. */
  async start(binary: string, targets: readonly ScrapeTarget[], timeoutMs = 30_000): Promise<void> {
    const { dir, supervisor } = this.options;
    // the data of THIS run only: series of a previous platform (same labels) would read as this one's
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    this.port = (await isPortFree(PROMETHEUS_DEFAULT_PORT, '127.0.0.1')) ? PROMETHEUS_DEFAULT_PORT : await getFreePort();
    this.writeTargets(targets);
    writeFileSync(join(dir, 'prometheus.yml'), this.config());
    supervisor.start({
      id: PROMETHEUS_ID,
      command: binary,
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.format=json',
      ],
      logFile: join(this.options.logs, `${PROMETHEUS_ID}.log`),
    });
    this.running = true;
    const url = this.url as string;
    await waitUntil(async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.status === 200, {
      timeoutMs,
      intervalMs: 100,
      message: `Prometheus (${binary}) to answer ${url}/-/ready; see ${join(this.options.logs, `${PROMETHEUS_ID}.log`)}`,
    });
  }

  /**
   * What the run-state file records of it once it was started (undefined before): the URL, the
   * pid of its current process (null while it is not running) and its folder (as `short` renders
   * paths), so the next start can kill it when this platform died without stopping it.
   */
  runState(short: (path: string) => string): PrometheusState | undefined {
    const status = this.options.supervisor.status(PROMETHEUS_ID);
    if (status === undefined || this.port === 0) return undefined;
    const live = status.state === 'running' || status.state === 'stopping';
    return { url: `http://127.0.0.1:${this.port}`, pid: live && status.pid !== undefined ? status.pid : null, dir: short(this.options.dir) };
  }

  /** Rewrites the targets file (atomic rename: Prometheus never reads half a file). */
  writeTargets(targets: readonly ScrapeTarget[]): void {
    const groups = targets.map((t) => ({ targets: [t.address], labels: { instance: t.id, service: t.service, app: t.service, instance_id: t.id, zone: t.zone } }));
    const file = join(this.options.dir, 'targets.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(groups, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Stops it (SIGTERM; it flushes its head block). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.options.supervisor.stop(PROMETHEUS_ID, { timeoutMs: 5000 });
  }

  private config(): string {
    const interval = `${this.options.scrapeIntervalS ?? 5}s`;
    return [
      '# written by failsoft up: every service instance of the local platform (targets.json is kept current)',
      'global:',
      `  scrape_interval: ${interval}`,
      `  evaluation_interval: ${interval}`,
      'scrape_configs:',
      '  - job_name: failsoft',
      '    metrics_path: /metrics',
      '    # client series label the DOWNSTREAM service/instance: those win; app/instance_id always name the scraped one',
      '    honor_labels: true',
      '    file_sd_configs:',
      `      - files: ['${join(this.options.dir, 'targets.json')}']`,
      `        refresh_interval: ${interval}`,
      '',
    ].join('\n');
  }
}
