import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, killAndWait, outputOf, redisCommand, startSentinelTopology, waitForOutput, waitUntil, type SentinelTopology } from '@failsoft/testing';
import { APP_VARIANTS, INSTALL_COMMAND, assertOk, run, writeUserApp, type AppVariant } from './user-apps';
import { publishBuiltLibs, startLocalRegistry, type LocalRegistry } from './verdaccio';

/**
 * The packages as a user gets them: @failsoft/sidecar and @failsoft/state are published to a
 * local Verdaccio, then installed by name (`npm install @failsoft/sidecar @failsoft/state
 * --registry <verdaccio>`) into four fresh apps outside the workspace (Nest 11 Express, Nest 10,
 * Nest 12 ESM, Nest 11 Fastify). Each app compiles against the published types, serves gRPC and
 * calls a second instance that is then SIGKILLed (every call still answers, through retries and
 * breakers), calls a @GrpcMethod controller through a ClientGrpc look-alike (the
 * @nestjs/microservices interop), serves /livez /readyz /metrics and writes durably to a Sentinel
 * topology.
 */
const workspace = join(__dirname, '..', '..', '..');
const token = 'user-app-shared-token-0123456789';
const PEERS = {
  '@nestjs/common': '^10.0.0 || ^11.0.0 || ^12.0.0',
  '@nestjs/core': '^10.0.0 || ^11.0.0 || ^12.0.0',
  '@grpc/grpc-js': '^1.10.0',
  ioredis: '^5.0.0',
};

interface Prepared {
  readonly dir: string;
  readonly installMs: number;
  readonly compileMs: number;
  readonly versions: Record<string, string>;
}

let root: string;
let registry: LocalRegistry | undefined;
let topology: SentinelTopology | undefined;
let sidecarView: Record<string, unknown>;
const prepared = new Map<string, Prepared | Error>();
const children: ChildProcess[] = [];

function installedVersion(dir: string, name: string): string {
  return (require(join(dir, 'node_modules', ...name.split('/'), 'package.json')) as { version: string }).version;
}

async function prepare(variant: AppVariant, cache: string): Promise<Prepared> {
  const dir = join(root, variant.name);
  writeUserApp(dir, variant);
  const install = assertOk(
    `npm install into ${variant.name}`,
    await run(INSTALL_COMMAND[0], [...INSTALL_COMMAND.slice(1), '--registry', (registry as LocalRegistry).url, '--cache', cache, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '--update-notifier=false'], dir),
  );
  const compile = assertOk(`tsc in ${variant.name}`, await run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir));
  const versions: Record<string, string> = {};
  for (const name of ['@failsoft/sidecar', '@failsoft/state', '@nestjs/core', '@grpc/grpc-js', 'ioredis']) versions[name] = installedVersion(dir, name);
  return { dir, installMs: install.ms, compileMs: compile.ms, versions };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'failsoft-user-apps-'));
  const uplink = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  [registry, topology] = await Promise.all([startLocalRegistry(workspace, uplink), startSentinelTopology({ replicas: 1 })]);

  // pack what the build produced and publish it to the local registry
  await publishBuiltLibs(registry, workspace, root);
  sidecarView = JSON.parse(assertOk('npm view', await run('npm', ['view', '@failsoft/sidecar', '--json', '--registry', registry.url], root)).output);

  // the four apps install at once, sharing one npm cache (the user's: tarballs already there are reused)
  const cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  const results = await Promise.all(APP_VARIANTS.map((v) => prepare(v, cache).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  APP_VARIANTS.forEach((v, i) => prepared.set(v.name, results[i]));
  const lines = APP_VARIANTS.map((v) => {
    const p = prepared.get(v.name);
    if (p === undefined || p instanceof Error) return `  ${v.name}: FAILED ${p instanceof Error ? p.message.split('\n')[0] : ''}`;
    return `  ${v.name}: install ${(p.installMs / 1000).toFixed(1)} s, tsc ${(p.compileMs / 1000).toFixed(1)} s, ${JSON.stringify(p.versions)}`;
  });
  console.log(`user apps installed from ${registry.url}:\n${lines.join('\n')}`);
}, 480_000);

afterAll(async () => {
  await Promise.all(children.map((c) => killAndWait(c, 'SIGKILL').catch(() => undefined)));
  await registry?.stop();
  await topology?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('npm view @failsoft/sidecar on the local registry', () => {
  it('shows the dual entry points (import/require/types for . and ./nest) and the hand-written peer ranges', () => {
    const exportsMap = sidecarView['exports'] as Record<string, { import: { types: string; default: string }; require: { types: string; default: string } }>;
    for (const subpath of ['.', './nest']) {
      expect(exportsMap[subpath].import.default).toMatch(/^\.\/esm\/.+\.mjs$/);
      expect(exportsMap[subpath].import.types).toMatch(/^\.\/esm\/.+\.d\.mts$/);
      expect(exportsMap[subpath].require.default).toMatch(/^\.\/src\/.+\.js$/);
      expect(exportsMap[subpath].require.types).toMatch(/^\.\/src\/.+\.d\.ts$/);
    }
    expect(sidecarView['peerDependencies']).toMatchObject(PEERS);
    expect(sidecarView['sideEffects']).toBe(false);
  });
});

function startInstance(dir: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(dir, 'dist', 'main.js')], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function metricValue(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes('service="greeter"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe.each(APP_VARIANTS.map((v) => [v.name, v] as const))('a user app (%s) with the packages installed by name', (name, variant) => {
  it('calls through a breaker past a killed instance, calls a @GrpcMethod controller via ClientGrpc, serves /livez /readyz /metrics and writes durably via Sentinel', async () => {
    const app = prepared.get(name);
    if (app instanceof Error) throw app;
    if (app === undefined) throw new Error(`${name} was not prepared (beforeAll failed)`);
    if (variant.module === 'esm') expect(installedVersion(app.dir, '@nestjs/core')).toMatch(/^12\./);
    const redis = topology;
    if (redis === undefined) throw new Error('the Sentinel topology did not start (beforeAll failed)');
    const [grpcA, grpcB, httpA, httpB] = [await getFreePort(), await getFreePort(), await getFreePort(), await getFreePort()];
    const common = { FAILSOFT_TOKEN: token, REDIS_SENTINELS: redis.sentinels.map((s) => `${s.host}:${s.port}`).join(','), REDIS_MASTER_NAME: redis.masterName };
    const b = startInstance(app.dir, { ...common, INSTANCE: 'b', GRPC_PORT: String(grpcB), HTTP_PORT: String(httpB), GREETER_ADDRESSES: `127.0.0.1:${grpcB}` });
    const a = startInstance(app.dir, { ...common, INSTANCE: 'a', GRPC_PORT: String(grpcA), HTTP_PORT: String(httpA), GREETER_ADDRESSES: `127.0.0.1:${grpcA},127.0.0.1:${grpcB}` });
    const [, urlA] = await Promise.all([waitForOutput(b, /LISTENING (\S+)/, 60_000), waitForOutput(a, /LISTENING (\S+)/, 60_000)]).then(([, m]) => [undefined, m[1]]);

    // both instances answer while both live
    const seen = new Set<unknown>();
    await waitUntil(async () => {
      const { status, body } = await getJson(`${urlA}/greet`);
      if (status === 200 && body['message'] === 'hello world') seen.add(body['instance']);
      return seen.has('a') && seen.has('b');
    }, { timeoutMs: 30_000, message: `${name}: answers from both instances a and b` }).catch((error: unknown) => {
      throw new Error(`${String(error)}; seen: ${[...seen].join(',')}; output of a:\n${outputOf(a)}\noutput of b:\n${outputOf(b)}`);
    });

    // @nestjs/microservices interop: ClientGrpc code (sidecarClientGrpc under its DI token) calls a
    // @GrpcMethod controller served by the sidecar's server (grpcServices), on either instance
    const bye = await getJson(`${urlA}/bye`);
    expect([bye.status, bye.body['message'], ['a', 'b'].includes(bye.body['instance'] as string)]).toEqual([200, 'bye world', true]);

    // the second instance dies; every call still answers from the first, none degraded
    expect((await killAndWait(b, 'SIGKILL')).signal).toBe('SIGKILL');
    const replies = [];
    for (let i = 0; i < 20; i++) replies.push(await getJson(`${urlA}/greet`));
    expect(replies.map((r) => [r.status, r.body['message'], r.body['instance']])).toEqual(Array.from({ length: 20 }, () => [200, 'hello world', 'a']));

    // health and metrics from the Nest app (Express or Fastify)
    expect((await fetch(`${urlA}/livez`)).status).toBe(200);
    const ready = await fetch(`${urlA}/readyz`);
    expect([ready.status, ready.headers.get('content-type')]).toEqual([200, expect.stringMatching(/json|text/)]);
    const metrics = await fetch(`${urlA}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(metricValue(text, 'failsoft_client_calls_total')).toBeGreaterThanOrEqual(20);
    // the dead instance cost retries or an ejection, never a failed call
    expect(metricValue(text, 'failsoft_client_retries_total') + metricValue(text, 'failsoft_ejections_total')).toBeGreaterThanOrEqual(1);

    // a durable write through @failsoft/state: on the replica once acknowledged
    const key = `user-app:${name}:${Date.now()}`;
    const write = await fetch(`${urlA}/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, value: name }) });
    expect(write.status).toBe(201);
    expect(((await write.json()) as { acknowledgedBy: number }).acknowledgedBy).toBeGreaterThanOrEqual(1);
    const master = await redis.currentMaster();
    const replicas = redis.servers.filter((s) => s.port !== master.port);
    expect(replicas).toHaveLength(1);
    expect(await redisCommand(replicas[0].port, ['GET', key])).toBe(name);

    // SIGTERM drains and exits by itself (Nest re-raises the signal once its shutdown hooks ran);
    // killAndWait SIGKILLs after 20 s
    const exit = await killAndWait(a, 'SIGTERM', 20_000);
    expect(exit.code === 0 || exit.signal === 'SIGTERM' ? 'exited' : `did not exit by itself: ${JSON.stringify(exit)}\n${outputOf(a)}`).toBe('exited');
  }, 120_000);
});
