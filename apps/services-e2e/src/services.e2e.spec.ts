import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';

/** Every service starts from its build, validates its configuration and answers liveness. */
const workspace = join(__dirname, '..', '..', '..');
const services = ['gateway', 'upload', 'likes', 'feed'] as const;
const mainOf = (service: string) => join(workspace, 'dist', 'apps', service, 'apps', service, 'src', 'main.js');

const validEnv: NodeJS.ProcessEnv = {
  HTTP_PORT: '0',
  GRPC_PORT: '0',
  REDIS_SENTINELS: '127.0.0.1:1,127.0.0.1:2',
  FAILSOFT_TOKEN: 'e2e-token-0123456789abcdef',
  AUTH_SECRET: 'e2e-secret-0123456789abcdef0123456789',
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(service: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [mainOf(service)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
    }).on('error', reject);
  });
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(services)('%s service', (service) => {
  beforeAll(() => {
    if (!existsSync(mainOf(service))) throw new Error(`${mainOf(service)} is missing: run \`npx nx run-many -t build\` first`);
  });

  it('starts with a valid configuration and answers liveness', async () => {
    const proc = run(service, validEnv);
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(proc.output())?.[1], 20000, `${service} to listen (output: ${proc.output()})`);
    const res = await getJson(`${url}/livez`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('exits with a message naming a missing variable', async () => {
    const { FAILSOFT_TOKEN: _omit, ...env } = validEnv;
    const proc = run(service, env);
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toMatch(/FAILSOFT_TOKEN is required/);
  });

  it('exits with a message naming a wrong value', async () => {
    const proc = run(service, { ...validEnv, HTTP_PORT: 'eighty' });
    expect(await proc.exited).toBe(78);
    expect(proc.output()).toContain('HTTP_PORT must be a port number from 0 to 65535; got "eighty"');
  });
});
