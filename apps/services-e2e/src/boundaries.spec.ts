import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The module-boundary rules are enforced, not advisory: lint sample sources placed in
 * real project folders and check that forbidden imports are reported.
 */
const workspace = join(__dirname, '..', '..', '..');
const eslintBin = join(workspace, 'node_modules', 'eslint', 'bin', 'eslint.js');

/** Lints `code` as if it were `filePath` (ESLint runs as its own process: its config is ESM). */
async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const run = spawnSync(process.execPath, [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', join(workspace, filePath)], {
    cwd: workspace,
    input: code,
    encoding: 'utf8',
  });
  if (!run.stdout.startsWith('[')) throw new Error(`eslint failed (exit ${run.status}): ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('module boundaries', () => {
  it('forbids a service importing another service', async () => {
    const errors = await boundaryErrors('apps/gateway/src/app/probe.ts', "import { AppModule } from '../../../likes/src/app/app.module';\nexport const x = AppModule;\n");
    expect(errors.join('\n')).toMatch(/project|boundar|import/i);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('forbids a library importing an app', async () => {
    const errors = await boundaryErrors('libs/state/src/lib/probe.ts', "import { AppModule } from '../../../../apps/likes/src/app/app.module';\nexport const x = AppModule;\n");
    expect(errors.length).toBeGreaterThan(0);
  });

  it('forbids @nestjs imports in the framework-free sidecar core', async () => {
    const errors = await boundaryErrors('libs/sidecar/src/lib/core/probe.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n");
    expect(errors.join('\n')).toMatch(/framework-free/);
  });

  it('allows a service to import a shared library', async () => {
    const errors = await boundaryErrors('apps/likes/src/app/probe.ts', "import { readEnvConfig } from '@failsoft/sidecar';\nexport const x = readEnvConfig;\n");
    expect(errors).toEqual([]);
  });
});
