import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The lint rule that keeps @failsoft/testing (test harnesses) out of production code, checked
 * against the workspace's own eslint.config.mjs: the same import is an error in an app's source
 * file and in a library's, and allowed in a spec, a test/ file and an e2e project. ESLint runs as
 * its own process (`eslint --stdin`: the config is an ES module, which jest's VM cannot load).
 */
const workspace = join(__dirname, '../../..');
const IMPORT_TESTING = "import { waitUntil } from '@failsoft/testing';\n\nexport const wait = waitUntil;\n";
const IMPORT_RUNTIME = "import { waitUntil } from '@failsoft/local-runtime';\n\nexport const wait = waitUntil;\n";

/** The module-boundary messages ESLint reports for `text` as if it were the file `path`. */
async function boundaryErrors(text: string, path: string): Promise<string[]> {
  const eslint = join(workspace, 'node_modules/eslint/bin/eslint.js');
  const run = spawnSync(process.execPath, [eslint, '--stdin', '--stdin-filename', join(workspace, path), '--format', 'json'], { cwd: workspace, input: text, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint exited ${run.status ?? run.signal}: ${run.stderr.slice(0, 2000)}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries: @failsoft/testing is for tests only', () => {
  it('fails lint when production code of an app imports @failsoft/testing', async () => {
    const errors = await boundaryErrors(IMPORT_TESTING, 'apps/cli/src/app/boundary-probe.ts');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/type:app.*type:lib, type:runtime|tagged with "type:lib", "type:runtime"/);
  });

  it('fails lint when a service or a library imports it outside its tests', async () => {
    expect(await boundaryErrors(IMPORT_TESTING, 'apps/likes/src/app/boundary-probe.ts')).toHaveLength(1);
    expect(await boundaryErrors(IMPORT_TESTING, 'libs/state/src/lib/boundary-probe.ts')).toHaveLength(1);
  });

  it('allows it in specs, test/ files, benches and e2e projects', async () => {
    expect(await boundaryErrors(IMPORT_TESTING, 'apps/cli/src/app/boundary-probe.spec.ts')).toEqual([]);
    expect(await boundaryErrors(IMPORT_TESTING, 'apps/likes/test/boundary-probe.ts')).toEqual([]);
    expect(await boundaryErrors(IMPORT_TESTING, 'libs/sidecar/bench/boundary-probe.ts')).toEqual([]);
    expect(await boundaryErrors(IMPORT_TESTING, 'apps/platform-e2e/src/boundary-probe.ts')).toEqual([]);
  });

  it('lets the cli use @failsoft/local-runtime, and no library', async () => {
    expect(await boundaryErrors(IMPORT_RUNTIME, 'apps/cli/src/app/boundary-probe.ts')).toEqual([]);
    expect(await boundaryErrors(IMPORT_RUNTIME, 'libs/sidecar/src/lib/boundary-probe.ts')).toHaveLength(1);
  });
});
