import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The workspace root (the folder of docker-compose.yml). */
export const workspace = join(__dirname, '..', '..', '..', '..');

/** Variables the global set-up puts in process.env for every spec (runInBand: one process). */
export const PROJECT_ENV = 'COMPOSE_PROJECT_NAME';
export const PORT_ENV = 'FRONT_DOOR_PORT';

/** The compose project of this run (unique per run). @throws when the global set-up did not run. */
export function project(): string {
  const name = process.env[PROJECT_ENV];
  if (!name || !name.startsWith('failsoft-e2e-')) throw new Error(`${PROJECT_ENV} is ${JSON.stringify(name)}: the compose-e2e global set-up did not run (npx nx e2e compose-e2e)`);
  return name;
}

/** The front door on loopback (the only address the suite sends traffic to). */
export function frontDoorUrl(): string {
  return `http://127.0.0.1:${process.env[PORT_ENV]}`;
}

const started = Date.now();

/** A progress line on stderr, written at once (jest buffers console.*). */
export function progress(line: string): void {
  process.stderr.write(`[compose-e2e ${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`);
}

/** What one command did. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  timeoutMs?: number;
  /** Lines of output go to stderr as they come, with this prefix (build progress). */
  stream?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command in the workspace; never rejects on a non-zero exit (the caller judges), only on a timeout. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const t = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: workspace, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const echo = (chunk: string): void => {
      if (options.stream) for (const line of chunk.split('\n').filter((l) => l.trim() !== '')) process.stderr.write(`${options.stream}${line}\n`);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      echo(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      echo(d.toString());
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s; output so far:\n${(stdout + stderr).slice(-3000)}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t });
    });
  });
}

/** `docker compose -p <project> <args>`; rejects with its output when it fails. */
export async function compose(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run('docker', ['compose', '-p', project(), ...args], options);
  if (result.code !== 0) throw new Error(`docker compose ${args.join(' ')} exited ${result.code}:\n${(result.stderr || result.stdout).trim().slice(-3000)}`);
  return result.stdout;
}

/** `docker <args>`; rejects with its output when it fails. */
export async function docker(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run('docker', args, options);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}:\n${(result.stderr || result.stdout).trim().slice(-3000)}`);
  return result.stdout;
}

/** The real `failsoft` CLI as a user runs it (`npx failsoft ...`: apps/cli/bin/failsoft.js), against this run's project. */
export function failsoft(args: readonly string[], timeoutMs = 180_000): Promise<Run> {
  return run(process.execPath, [join(workspace, 'apps', 'cli', 'bin', 'failsoft.js'), ...args], { timeoutMs });
}

/** `redis-cli` in a Redis or sentinel container (`-p 26379` for a sentinel), the reply's lines. */
export async function redisCli(service: string, args: readonly string[], port?: number): Promise<string[]> {
  const out = await compose(['exec', '-T', service, 'redis-cli', ...(port ? ['-p', String(port)] : []), ...args]);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** The master's name as sentinel `service` announces it (`redis-1`). */
export async function masterName(sentinel = 'sentinel-1'): Promise<string> {
  return (await redisCli(sentinel, ['SENTINEL', 'get-master-addr-by-name', 'failsoft'], 26379))[0] ?? '';
}

/**
 * What the sentinels think, for a failure message: each one's view of the master (flags, failover
 * state, known replicas and sentinels), whether it is in TILT mode, and its last log lines. A wait on
 * the sentinels that times out says why with this instead of only "timed out".
 */
export async function sentinelDiagnosis(sentinels: readonly string[] = ['sentinel-1', 'sentinel-2', 'sentinel-3']): Promise<string> {
  const parts: string[] = [];
  for (const s of sentinels) {
    const view = await redisCli(s, ['SENTINEL', 'MASTER', 'failsoft'], 26379).catch((error: Error) => [`(no answer: ${error.message.split('\n')[0]})`]);
    const info = await redisCli(s, ['INFO', 'sentinel'], 26379).catch(() => [] as string[]);
    const pairs = new Map<string, string>();
    for (let i = 0; i + 1 < view.length; i += 2) pairs.set(view[i], view[i + 1]);
    const keys = ['ip', 'flags', 'failover-state', 'num-slaves', 'num-other-sentinels', 'quorum', 'role-reported'];
    const summary = pairs.size ? keys.map((k) => `${k}=${pairs.get(k) ?? '?'}`).join(' ') : view.join(' ');
    parts.push(`${s}: ${summary}; ${info.filter((l) => /tilt|master0/.test(l)).join(' ')}`);
  }
  const logs = await compose(['logs', '--no-color', '--tail', '25', ...sentinels]).catch((error: Error) => `(no logs: ${error.message})`);
  return `${parts.join('\n')}\nlast sentinel log lines:\n${logs}`;
}

/** One container of the project, as `docker inspect` describes it. */
export interface ContainerInfo {
  service: string;
  state: string;
  health: string | null;
  restarts: number;
  /** Exit code of its last run (0 while running). */
  exitCode: number;
  /** Its address on the compose network. */
  ip: string;
}

/** One-shot jobs of docker-compose.yml: done when exited with 0 (the apps wait for them). */
const ONE_SHOT_SERVICES = ['certs'];

/** Every container of the project (`docker compose ps -a -q` + `docker inspect`). */
export async function containers(): Promise<Map<string, ContainerInfo>> {
  const ids = (await compose(['ps', '-a', '-q'])).split('\n').filter((l) => l.trim() !== '');
  const out = new Map<string, ContainerInfo>();
  if (ids.length === 0) return out;
  type Inspected = { RestartCount: number; State: { Status: string; ExitCode?: number; Health?: { Status: string } }; Config: { Labels: Record<string, string> }; NetworkSettings: { Networks: Record<string, { IPAddress: string }> } };
  for (const c of JSON.parse(await docker(['inspect', ...ids])) as Inspected[]) {
    const service = c.Config.Labels['com.docker.compose.service'];
    out.set(service, { service, state: c.State.Status, health: c.State.Health?.Status ?? null, restarts: c.RestartCount, exitCode: c.State.ExitCode ?? 0, ip: Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '' });
  }
  return out;
}

/**
 * Why Redis is not whole (undefined when it is): the three sentinels name one master, and it has
 * both replicas online. After a failover the old master is converted about 10 s after it is back
 * and then resynchronises; durable writes are refused until then (every replica the sentinels
 * could promote must confirm them), so a spec that starts earlier meets a platform that cannot write.
 */
async function redisProblem(): Promise<string | undefined> {
  const named = await Promise.all(['sentinel-1', 'sentinel-2', 'sentinel-3'].map((s) => masterName(s).catch(() => '?')));
  if (new Set(named).size !== 1 || named[0] === '?') return `the sentinels name the master ${named.join(', ')}`;
  const info = await redisCli(named[0], ['INFO', 'replication']).catch(() => [] as string[]);
  const online = info.filter((l) => /^slave\d+:.*state=online/.test(l)).length;
  if (info.includes('role:master') && online === 2) return undefined;
  return `the master ${named[0]} says ${info.find((l) => l.startsWith('role:')) ?? 'nothing'}, ${online} of 2 replicas online`;
}

/** Resolves once every container runs, every health check passes and Redis is whole (polls; a bound, not a speed). */
export async function waitForAllHealthy(timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const done = (c: ContainerInfo): boolean => ONE_SHOT_SERVICES.includes(c.service) && c.state === 'exited' && c.exitCode === 0;
    const bad = [...(await containers()).values()].filter((c) => !done(c) && (c.state !== 'running' || (c.health !== null && c.health !== 'healthy')));
    const redis = bad.length === 0 ? await redisProblem() : undefined;
    if (bad.length === 0 && redis === undefined) return;
    last = redis ? `Redis is not whole: ${redis}` : bad.map((c) => `${c.service} ${c.state}${c.health ? `/${c.health}` : ''}`).join(', ');
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the compose platform is not healthy after ${timeoutMs / 1000} s: ${last}; see: docker compose -p ${project()} logs`);
}
