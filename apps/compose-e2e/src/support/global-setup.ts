import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureBaseImages } from './base-images';
import { compose, PORT_ENV, progress, PROJECT_ENV, run, waitForAllHealthy, workspace } from './compose';
import { tearDown } from './global-teardown';

/** A free TCP port on every interface (what compose publishes the front door on). Jest's global
 * set-up has no path aliases, hence no @failsoft/testing here. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A 172.29.N prefix whose /24 no Docker network here uses (docker-compose.yml gives fixed addresses in it). */
async function freeSubnetPrefix(): Promise<string> {
  const ids = (await run('docker', ['network', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  const used = ids.length ? (await run('docker', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', ...ids])).stdout : '';
  for (let attempt = 0; attempt < 50; attempt++) {
    const prefix = `172.29.${60 + Math.floor(Math.random() * 190)}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
  throw new Error(`no free 172.29.N.0/24 for the compose network (in use: ${used.trim()})`);
}

/**
 * Brings up the root docker-compose.yml for real: `docker compose up -d --build --wait` under a
 * project name unique to this run and a free front door port (both in process.env for the specs
 * and for the `failsoft ... --compose` runs, which read COMPOSE_PROJECT_NAME and FRONT_DOOR_PORT).
 * A failed set-up tears down what it started (`down -v`) before it fails.
 */
export default async function globalSetup(): Promise<void> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 }).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  if (info.code !== 0) throw new Error(`compose-e2e needs a running Docker engine, and none answers (${info.stderr.trim().split('\n').pop()}). Start one: tools/container-engine.sh start (CI's .ci/run does)`);
  const v2 = await run('docker', ['compose', 'version', '--short'], { timeoutMs: 30_000 });
  if (v2.code !== 0) throw new Error('compose-e2e needs Compose v2 (`docker compose`); install the compose plugin (on Debian: tools/container-engine.sh start)');
  await ensureBaseImages();
  process.env[PROJECT_ENV] = `failsoft-e2e-${Date.now().toString(36)}-${process.pid}`;
  process.env[PORT_ENV] = String(await freePort());
  process.env['FAILSOFT_SUBNET_PREFIX'] = await freeSubnetPrefix();
  // The gateways' per-user write limit raised, as the scenario runner's own platform has it: the
  // loads here keep under the default, but requests held up by a fault all land at once when it
  // ends, and a 429 would be the limiter's answer, not the fault's. COMPOSE_FILE carries it to
  // every docker compose and `failsoft --compose` run of the suite.
  const override = join(workspace, 'tmp', 'compose-e2e', `${process.env[PROJECT_ENV]}.override.yml`);
  mkdirSync(join(workspace, 'tmp', 'compose-e2e'), { recursive: true });
  writeFileSync(override, ['services:', ...['gateway-1', 'gateway-2'].map((g) => `  ${g}:\n    environment:\n      RATE_LIMIT_WRITES: '100000'`), ''].join('\n'));
  process.env['COMPOSE_FILE'] = ['docker-compose.yml', override].join(':');
  useSecrets(join(workspace, 'tmp', 'compose-e2e', `${process.env[PROJECT_ENV]}.env`));
  progress(`docker ${info.stdout.trim()}, compose ${v2.stdout.trim()}; project ${process.env[PROJECT_ENV]}, network ${process.env['FAILSOFT_SUBNET_PREFIX']}.0/24, front door on 127.0.0.1:${process.env[PORT_ENV]}`);
  const t = Date.now();
  try {
    await compose(['--progress', 'plain', 'up', '-d', '--build', '--wait'], { timeoutMs: 900_000, stream: '[compose up] ' }).catch(async (error: Error) => {
      await compose(['ps', '-a']).then((ps) => progress(`containers:\n${ps}`), () => undefined);
      throw error;
    });
    await waitForAllHealthy();
  } catch (error) {
    await tearDown();
    throw error;
  }
  progress(`FIGURE compose up --build --wait: every container healthy in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * The secrets docker-compose.yml requires (it has no default secret), generated for this run by
 * the script users run (`npm run compose:secrets`: deploy/docker/secrets.sh) into `file`, then
 * put in process.env for every compose run of the suite. Values already in the environment win.
 */
function useSecrets(file: string): void {
  const result = spawnSync('sh', [join(workspace, 'deploy', 'docker', 'secrets.sh'), file], { cwd: workspace, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`deploy/docker/secrets.sh failed (exit ${result.status}): ${result.stderr}`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !process.env[line.slice(0, eq)]) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
}
