import { ChildProcess, spawn } from 'node:child_process';
import { killAndWait, outputOf, spawnTsNode, waitForOutput } from './process-helpers';
import { isInvalidRuntimeOptionsError, isLocalRuntimeError, isWaitTimeoutError } from '@failsoft/local-runtime';

jest.setTimeout(30_000);

const FIXTURE = 'libs/testing/test/fixtures/ts-child.fixture.ts';

describe('process helpers', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => killAndWait(c, 'SIGKILL')));
  });

  it('spawnTsNode runs TypeScript with @failsoft/* paths, decorator metadata, args and env', async () => {
    const child = spawnTsNode(FIXTURE, ['a', 'b'], { FIXTURE_FLAG: 'on' });
    children.push(child);
    expect((await waitForOutput(child, /paramtypes=(.*)/, 20_000))[1]).toBe('Dependency,Number');
    const port = Number((await waitForOutput(child, /port=(\d+)/))[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(6379);
    expect((await waitForOutput(child, /args=(\S*) env=(\S*)/)).slice(1)).toEqual(['a,b', 'on']);
  });

  it('waitForOutput consumes matches so successive waits see successive lines', async () => {
    const child = spawnTsNode(FIXTURE);
    children.push(child);
    const first = Number((await waitForOutput(child, /tick (\d+)/, 20_000))[1]);
    const second = Number((await waitForOutput(child, /tick (\d+)/))[1]);
    expect(second).toBe(first + 1);
    expect(outputOf(child)).toContain('paramtypes=');
  });

  it('killAndWait delivers the signal and reports how the process ended', async () => {
    const child = spawnTsNode(FIXTURE);
    children.push(child);
    await waitForOutput(child, /tick 1/, 20_000);
    await expect(killAndWait(child, 'SIGTERM')).resolves.toEqual({ code: 0, signal: null });
    expect(outputOf(child)).toContain('bye');
    await expect(killAndWait(child, 'SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });

  it('waitForOutput fails clearly on exit before the match and on timeout', async () => {
    const quick = spawn(process.execPath, ['-e', 'console.log("only line")'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(quick);
    const exited = await waitForOutput(quick, /never printed/).catch((e: unknown) => e);
    expect(isLocalRuntimeError(exited, 'PROCESS_FAILED')).toBe(true);
    expect((exited as Error).message).toMatch(/exited \(code 0\) before printing \/never printed\/; output:\nonly line/);

    const slow = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 5000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(slow);
    const timedOut = await waitForOutput(slow, /nothing/, 100).catch((e: unknown) => e);
    expect(isWaitTimeoutError(timedOut)).toBe(true);
  });

  it('rejects bad arguments naming the value', async () => {
    expect(() => spawnTsNode('')).toThrow('spawnTsNode.scriptPath must be a path to a .ts file; got ""');
    let error: unknown;
    try {
      spawnTsNode('libs/testing/test/fixtures/missing.ts');
    } catch (e) {
      error = e;
    }
    expect(isInvalidRuntimeOptionsError(error)).toBe(true);
    expect((error as Error).message).toMatch(/spawnTsNode.scriptPath does not exist: ".*missing.ts"/);
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    children.push(child);
    await expect(waitForOutput(child, 'x' as unknown as RegExp)).rejects.toThrow('waitForOutput.regex must be a RegExp; got "x"');
  });
});
