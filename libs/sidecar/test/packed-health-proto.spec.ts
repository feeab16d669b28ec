import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The packed @failsoft/sidecar carries the health proto it loads (issue 15): builds the package as
 * `npm run pack:libs` does (tools/build.mjs, into a folder of its own so dist/ is left alone),
 * lists what `npm pack` would put in the tarball, and loads the built module from that folder.
 * No registry, no network: a tsc build and `npm pack --dry-run` (about 10 s).
 */
const WORKSPACE = join(__dirname, '..', '..', '..');
const SHIPPED = 'src/lib/health/proto/grpc/health/v1/health.proto';
const UPSTREAM = join(WORKSPACE, 'libs', 'contracts', 'src', 'proto', 'grpc', 'health', 'v1', 'health.proto');

/** Runs node in `cwd` on a script that loads the built health module; its output or its error. */
function loadBuilt(out: string): { status: number | null; stdout: string; stderr: string } {
  const script = `const h = require(${JSON.stringify(join(out, 'src', 'lib', 'health', 'health.service.js'))});
console.log(JSON.stringify({ path: h.HEALTH_PROTO_PATH, methods: Object.keys(h.loadHealthDefinition()) }));`;
  // the folder sits under the workspace so the built code resolves @grpc/* from its node_modules
  const run = spawnSync(process.execPath, ['-e', script], { cwd: WORKSPACE, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('packed @failsoft/sidecar ships the grpc.health.v1 proto', () => {
  let out: string;

  beforeAll(() => {
    mkdirSync(join(WORKSPACE, 'tmp'), { recursive: true });
    out = join(mkdtempSync(join(WORKSPACE, 'tmp', 'packed-health-proto-')), 'sidecar');
    execFileSync(process.execPath, [join(WORKSPACE, 'tools', 'build.mjs'), 'libs/sidecar', '--out-dir', out], { cwd: WORKSPACE, stdio: ['ignore', 'ignore', 'pipe'] });
  }, 120_000);

  afterAll(() => {
    if (out !== undefined) rmSync(join(out, '..'), { recursive: true, force: true });
  });

  it('the tarball lists the proto, and it is upstream\'s file from libs/contracts', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', out, '--dry-run', '--json', '--loglevel=error'], { cwd: WORKSPACE, encoding: 'utf8' })) as Array<{ files: Array<{ path: string }> }>;
    const files = packed.files.map((file) => file.path);
    expect(files).toContain(SHIPPED);
    expect(files.filter((file) => file.endsWith('.proto'))).toEqual([SHIPPED]);
    expect(readFileSync(join(out, SHIPPED))).toEqual(readFileSync(UPSTREAM));
  }, 60_000);

  it('the built module loads the shipped copy (Check, List, Watch)', () => {
    const run = loadBuilt(out);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ path: join(out, SHIPPED), methods: ['Check', 'List', 'Watch'] });
  }, 30_000);

  it('negative control: without the shipped copy the built module says where it looked and what to do', () => {
    rmSync(join(out, 'src', 'lib', 'health', 'proto'), { recursive: true });
    const run = loadBuilt(out);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('@failsoft/sidecar: grpc/health/v1/health.proto not found (looked in ');
    expect(run.stderr).toContain('the build copies it from libs/contracts (tools/build.mjs): rebuild the package');
  }, 30_000);
});
