import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { getFreePort, redisCommand, startSentinelTopology, type SentinelTopology } from '@failsoft/testing';
import { runTutorial, type CommandResult, type TutorialRun } from './tutorial-runner';
import { USER_APP_FIXTURE } from './user-apps';
import { publishBuiltLibs, startLocalRegistry, type LocalRegistry } from './verdaccio';

/**
 * docs/use-in-your-nest-app.md as a reader follows it: in an empty temp folder, every shell block
 * runs for real, in order (`npx @nestjs/cli@11 new`, the npm installs, the type generator, the
 * build, the app itself in the background, then the `curl` lines, whose `# prints:` comments are
 * checked), and every file the page says to write is written where it says (tutorial-runner.ts).
 * The @failsoft packages come from a local Verdaccio they are published to first, as the page
 * tells readers to (`npm config set @failsoft:registry <yours>`: here the same setting, by
 * environment); everything else from the npm registry this machine uses, through its npm cache.
 * The app's well-known ports (HTTP 3000, gRPC 50051, the absent second instance 50052, Sentinel
 * 26379) become free ones, so the run cannot collide with anything else on the machine.
 */
const workspace = join(__dirname, '..', '..', '..');
const docName = 'docs/use-in-your-nest-app.md';
const doc = readFileSync(join(workspace, docName), 'utf8');

let root: string;
let registry: LocalRegistry | undefined;
let topology: SentinelTopology | undefined;
let tutorial: TutorialRun | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'failsoft-tutorial-'));
  const uplink = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  // the page's topology: a Sentinel monitoring `mymaster`, with one replica for the durable write
  [registry, topology] = await Promise.all([startLocalRegistry(workspace, uplink), startSentinelTopology({ replicas: 1, sentinels: 1, masterName: 'mymaster' })]);
  await publishBuiltLibs(registry, workspace, root);
}, 180_000);

afterAll(async () => {
  await tutorial?.stop();
  await registry?.stop();
  await topology?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

/** Files under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe(`${docName}, followed by a reader`, () => {
  it('runs every shell block for real, from `nest new` to a resilient call, a durable write, health and metrics', async () => {
    const [http, grpc, absent] = [await getFreePort(), await getFreePort(), await getFreePort()];
    const sentinel = (topology as SentinelTopology).sentinels[0];
    const reader = join(root, 'reader');
    mkdirSync(reader);
    const log: CommandResult[] = [];
    tutorial = await runTutorial(doc, {
      docName,
      dir: reader,
      fixture: USER_APP_FIXTURE,
      env: {
        'npm_config_@failsoft:registry': (registry as LocalRegistry).url,
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        // the page's app reads HTTP_PORT (default 3000, which its curl lines use)
        HTTP_PORT: String(http),
      },
      replace: { '3000': String(http), '50051': String(grpc), '50052': String(absent), '26379': String(sentinel.port) },
      onCommand: (result) => log.push(result),
    });
    const app = tutorial.cwd;
    console.log(`${docName}, command by command:\n${log.map((c) => `  ${seconds(c.ms).padStart(7)}  ${c.command.split('\n')[0]}`).join('\n')}\n  total ${seconds(log.reduce((sum, c) => sum + c.ms, 0))}`);

    // the page's first block made a Nest 11 app, and the reader ended in it
    expect(relative(reader, app)).toBe('my-app');
    const nestCore = JSON.parse(readFileSync(join(app, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8')) as { version: string };
    expect(nestCore.version).toMatch(/^11\./);
    // the page's generator command writes exactly the generated types the example app is compiled with
    const generated = join(app, 'src', 'generated');
    const expected = join(USER_APP_FIXTURE, 'src', 'generated');
    expect(filesUnder(generated)).toEqual(filesUnder(expected));
    for (const file of filesUnder(expected)) expect({ file, text: readFileSync(join(generated, file), 'utf8') }).toEqual({ file, text: readFileSync(join(expected, file), 'utf8') });
    // the curl lines ran (their output was checked against the page) and the write reached the replica
    expect(log.filter((c) => c.command.startsWith('curl ')).length).toBeGreaterThanOrEqual(4);
    // the page's app calls a list with an instance that is not running: each call that picks it is
    // retried on the live one (or the dead one is ejected), none fails
    const greets = [];
    for (let i = 0; i < 10; i++) greets.push(await fetch(`http://127.0.0.1:${http}/greet`).then(async (r) => [r.status, await r.json()]));
    expect(greets).toEqual(Array.from({ length: 10 }, () => [200, { degraded: false, message: 'hello world', instance: 'local' }]));
    const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    const greeter = (name: string): number =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(name) && line.includes('service="greeter"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(greeter('failsoft_client_retries_total') + greeter('failsoft_ejections_total')).toBeGreaterThanOrEqual(1);
    const redis = topology as SentinelTopology;
    const master = await redis.currentMaster();
    const replica = redis.servers.find((s) => s.port !== master.port);
    expect(await redisCommand((replica as { port: number }).port, ['GET', 'greeting'])).toBe('hello');
  }, 900_000);
});
