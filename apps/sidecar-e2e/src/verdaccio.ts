import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, killAndWait, waitUntil } from '@failsoft/testing';
import { assertOk, run } from './user-apps';

/** The libraries users install, as `nx build` writes them to dist/libs/<name>. */
export const PUBLISHED_LIBS = ['sidecar', 'state'] as const;

/** A Verdaccio registry of this test only: own storage in a temp dir, on a free loopback port. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** An .npmrc with the auth token of the publishing user (pass as `--userconfig`). */
  readonly npmrc: string;
  /** Stops Verdaccio (SIGTERM, then SIGKILL) and removes its storage. */
  stop(): Promise<void>;
}

/**
 * Starts Verdaccio with `uplink` (the npm registry this machine reaches) as the proxy for every
 * package except `@failsoft/*`, which only this registry serves (published by the test), and
 * creates a publishing user.
 */
export async function startLocalRegistry(workspace: string, uplink: string): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-verdaccio-'));
  mkdirSync(join(dir, 'storage'));
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      'uplinks:',
      '  npmjs:',
      `    url: ${uplink}`,
      '    timeout: 60s',
      '    maxage: 30m',
      'packages:',
      "  '@failsoft/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: npmjs',
      'server:',
      '  keepAliveTimeout: 60',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const bin = join(workspace, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) await killAndWait(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output}`);
        return (await fetch(`${url}-/ping`).then((r) => r.ok).catch(() => false)) === true;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: `verdaccio answering on ${url}-/ping` },
    );
    // the publishing user (npm adduser's request)
    const user = `e2e-${port}`;
    const created = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password: `pw-${port}-${Date.now()}`, type: 'user', roles: [] }),
    });
    const body = (await created.json()) as { token?: string; error?: string };
    if (!created.ok || !body.token) throw new Error(`verdaccio refused to create the publishing user (${created.status}): ${JSON.stringify(body)}`);
    const npmrc = join(dir, 'npmrc');
    writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${body.token}\n`);
    return { url, npmrc, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Packs what the build wrote to dist/libs/{sidecar,state} (`npm pack`, as a maintainer would) into
 * `dir`/packs and publishes each tarball to `registry` as its publishing user.
 * @throws naming the library when it is not built (with the command to build it) or npm fails.
 */
export async function publishBuiltLibs(registry: LocalRegistry, workspace: string, dir: string): Promise<void> {
  for (const lib of PUBLISHED_LIBS) {
    const built = join(workspace, 'dist', 'libs', lib);
    if (!existsSync(join(built, 'esm', 'index.mjs'))) throw new Error(`${built} has no ESM entry: run \`npx nx build ${lib}\` (or npm run pack:libs) first`);
  }
  const packs = join(dir, 'packs');
  mkdirSync(packs, { recursive: true });
  for (const lib of PUBLISHED_LIBS) {
    assertOk(`npm pack ${lib}`, await run('npm', ['pack', join(workspace, 'dist', 'libs', lib), '--pack-destination', packs, '--loglevel=error'], dir));
  }
  for (const tarball of readdirSync(packs)) {
    assertOk(`npm publish ${tarball}`, await run('npm', ['publish', join(packs, tarball), '--registry', registry.url, '--userconfig', registry.npmrc, '--loglevel=error'], dir));
  }
}
