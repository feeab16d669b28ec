import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redisCommand, waitUntil } from '@failsoft/testing';
// The platform of `npm start` (apps/cli), started in this process: the suite runs exactly the code
// users run. Apps have no import alias, hence the one relative import of the suite (as deploy-e2e).
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { Platform } from '../../../cli/src/app/platform';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSuitePlatform, type SuitePlatformOptions } from '../../../cli/src/app/suite-platform';
import { Api, USERS, describe as describeResult, type User } from './api';

export type { Platform };

/** The workspace root. */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Where the suite keeps its platforms' files and its figures (git-ignored). */
export const suiteDir = join(workspace, 'tmp', 'platform-e2e');

const suiteStart = Date.now();

/**
 * A progress line on stderr, written directly (jest buffers console.* until a test file ends;
 * this shows up as it happens): `[platform-e2e 12.3 s] ...`.
 */
export function progress(line: string): void {
  process.stderr.write(`[platform-e2e ${((Date.now() - suiteStart) / 1000).toFixed(1)} s] ${line}\n`);
}

/** Records one measured figure: printed, and appended to tmp/platform-e2e/figures.jsonl. */
export function figure(name: string, data: Record<string, unknown>): void {
  progress(`FIGURE ${name}: ${JSON.stringify(data)}`);
  try {
    mkdirSync(suiteDir, { recursive: true });
    appendFileSync(join(suiteDir, 'figures.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), name, ...data })}\n`);
  } catch {
    // figures are a convenience
  }
}

/**
 * Environment of every service of the suite's platform. The per-user write limit (30 per 10 s by
 * default) is raised: the suite acts as three users making hundreds of writes on purpose, and
 * rate limiting has its own tests in the gateway.
 */
export const SUITE_SERVICE_ENV = { RATE_LIMIT_WRITES: '100000', RATE_LIMIT_WINDOW_MS: '10000' };

/** A started platform with what the tests use. */
export interface TestPlatform {
  platform: Platform;
  /** The front door. */
  api: Api;
  /** Each gateway directly (by instance id). */
  gateways: Record<string, Api>;
  tokens: Record<User, string>;
  startupMs: number;
}

/**
 * Starts the platform of `npm start` in this process (same code: `startPlatform` of apps/cli),
 * with its files in tmp/platform-e2e/<name>/ (never the developer's .failsoft/) and the front door
 * on a free port, and signs the demo users in. `env` adds to SUITE_SERVICE_ENV. Logs the time it took.
 */
export async function startTestPlatform(
  name: string,
  env: Readonly<Record<string, string>> = {},
  extra: Pick<SuitePlatformOptions, 'prometheus' | 'logLevel'> = {},
): Promise<TestPlatform> {
  const { platform, startupMs } = await startSuitePlatform({ workspace, stateDir: join(suiteDir, name), label: name, progress, env: { ...SUITE_SERVICE_ENV, ...env }, readyTimeoutMs: 90_000, ...extra });
  figure('platform-start', { spec: name, seconds: Number((startupMs / 1000).toFixed(1)), url: platform.url });
  const api = new Api(platform.url);
  const tokens = {} as Record<User, string>;
  for (const user of USERS) tokens[user] = await api.signIn(user);
  const gateways = Object.fromEntries(platform.instancesOf('gateway').map((id) => [id, new Api(platform.process(id).url as string)]));
  return { platform, api, gateways, tokens, startupMs };
}

/** Stops the platform (logs how long it took). */
export async function stopTestPlatform(tp: TestPlatform | undefined): Promise<void> {
  if (!tp) return;
  const t = Date.now();
  await tp.platform.stop('end of the spec file');
  progress(`platform stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/** Restarts counts of every supervised process, by id. */
export function restartCounts(platform: Platform): Record<string, number> {
  return Object.fromEntries(platform.processes().map((p) => [p.id, p.restarts]));
}

/** Pids of every supervised process, by id. */
export function pids(platform: Platform): Record<string, number | undefined> {
  return Object.fromEntries(platform.processes().map((p) => [p.id, p.pid]));
}

/**
 * Waits until the platform is back to full service: every process running and ready, Redis
 * whole, HAProxy seeing both gateways, and every gateway's `/api/health` reporting nothing
 * degraded. Returns how long it took.
 */
export async function waitForFullService(tp: TestPlatform, timeoutMs = 90_000): Promise<number> {
  const t = Date.now();
  await tp.platform.waitForHealthy(timeoutMs);
  await waitUntil(
    async () => {
      for (const [id, gw] of Object.entries(tp.gateways)) {
        const health = await gw.health();
        if (health.status !== 200 || health.json?.degraded.length !== 0) throw new Error(`${id} /api/health: ${describeResult(health)}`);
      }
      return true;
    },
    { timeoutMs: Math.max(1000, timeoutMs - (Date.now() - t)), intervalMs: 200, message: 'every gateway to report nothing degraded' },
  );
  return Date.now() - t;
}

/** A gateway's `/snapshot` (the sidecar's live view: per downstream instance, ejected or not). */
export interface GatewaySnapshot {
  instanceId: string;
  downstreams: Array<{ service: string; breaker: string; instances: Array<{ id: string; address: string; ejected: boolean; breaker: string; outstanding: number }> }>;
}

/** Every gateway's `/snapshot`. */
export async function gatewaySnapshots(tp: TestPlatform): Promise<GatewaySnapshot[]> {
  return Promise.all(
    Object.values(tp.gateways).map(async (gw) => {
      const res = await gw.request<GatewaySnapshot>('/snapshot', { timeoutMs: 2000 });
      if (res.status !== 200 || !res.json) throw new Error(describeResult(res, `${gw.baseUrl}/snapshot`));
      return res.json;
    }),
  );
}

/** Reads one Redis command's answer from the current master. */
export async function redisOnMaster(platform: Platform, args: string[]): Promise<unknown> {
  const master = await platform.redis.currentMaster();
  return redisCommand(master.port, args, { host: master.host, timeoutMs: 2000, ...platform.redis.auth.data });
}
