import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertInteger, InvalidRuntimeOptionsError, LocalRuntimeError, show, trackPid, untrackPid, WaitTimeoutError, workspaceRoot } from '@failsoft/local-runtime';

/** Output captured from a child so that waits never miss lines printed before they start. */
interface Captured {
  text: string;
  cursor: number;
}
const captured = new WeakMap<ChildProcess, Captured>();
const MAX_CAPTURE = 1_000_000;

/** Starts capturing stdout+stderr of `child` (idempotent). */
function capture(child: ChildProcess): Captured {
  let state = captured.get(child);
  if (state) return state;
  const fresh: Captured = { text: '', cursor: 0 };
  const verbose = process.env['FAILSOFT_TEST_VERBOSE'] === '1';
  const append = (chunk: Buffer): void => {
    fresh.text += chunk.toString();
    if (verbose) process.stderr.write(`[pid ${child.pid}] ${chunk.toString()}`);
    if (fresh.text.length > MAX_CAPTURE) {
      const cut = fresh.text.length - MAX_CAPTURE;
      fresh.text = fresh.text.slice(cut);
      fresh.cursor = Math.max(0, fresh.cursor - cut);
    }
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  captured.set(child, fresh);
  state = fresh;
  return state;
}

/** Everything `child` printed so far (stdout and stderr interleaved), when captured. */
export function outputOf(child: ChildProcess): string {
  return captured.get(child)?.text ?? '';
}

/**
 * Runs a TypeScript file in a child process with `node -r @swc-node/register` from the workspace
 * root, with `SWC_NODE_PROJECT` pointing at tsconfig.base.json so `@failsoft/*` paths and decorator
 * metadata work. stdout/stderr are piped and captured (see {@link waitForOutput}; set
 * FAILSOFT_TEST_VERBOSE=1 to echo them to this process's stderr); the child is
 * tracked so it dies with this process, even on an abrupt exit.
 */
export function spawnTsNode(scriptPath: string, args: readonly string[] = [], env: Record<string, string | undefined> = {}): ChildProcess {
  if (typeof scriptPath !== 'string' || scriptPath === '') {
    throw new InvalidRuntimeOptionsError(`spawnTsNode.scriptPath must be a path to a .ts file; got ${show(scriptPath)}`);
  }
  const root = workspaceRoot();
  const script = resolve(root, scriptPath);
  if (!existsSync(script)) throw new InvalidRuntimeOptionsError(`spawnTsNode.scriptPath does not exist: ${show(script)}`);
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new InvalidRuntimeOptionsError(`spawnTsNode.args must be an array of strings; got ${show(args)}`);
  }
  const register = require.resolve('@swc-node/register', { paths: [root] });
  const project = join(root, 'tsconfig.base.json');
  const child = spawn(process.execPath, ['-r', register, script, ...args], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: project, TS_NODE_PROJECT: project, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.on('error', () => undefined); // reported through waitForOutput / exit
  capture(child);
  if (child.pid !== undefined) {
    const pid = child.pid;
    trackPid(pid, `node ${scriptPath}`);
    child.once('exit', () => untrackPid(pid));
  }
  return child;
}

/** True once `child` has exited. */
function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Resolves with the match once `child` has printed (stdout or stderr) text matching `regex`.
 * Consumes output: each successful wait moves a per-child cursor past its match, so waiting twice
 * for the same pattern waits for its second occurrence. Output printed before the call counts.
 * @throws WaitTimeoutError after `timeoutMs` (default 10000), LocalRuntimeError when the child exits first.
 */
export function waitForOutput(child: ChildProcess, regex: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  if (!(regex instanceof RegExp)) return Promise.reject(new InvalidRuntimeOptionsError(`waitForOutput.regex must be a RegExp; got ${show(regex)}`));
  assertInteger('waitForOutput.timeoutMs', timeoutMs, 1);
  const state = capture(child);
  const pattern = new RegExp(regex.source, regex.flags.replace('g', ''));
  return new Promise<RegExpMatchArray>((resolvePromise, reject) => {
    const check = (): boolean => {
      const rest = state.text.slice(state.cursor);
      const match = rest.match(pattern);
      if (!match || match.index === undefined) return false;
      state.cursor += match.index + match[0].length;
      cleanup();
      resolvePromise(match);
      return true;
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      setImmediate(() => {
        if (check()) return;
        cleanup();
        reject(new LocalRuntimeError('PROCESS_FAILED', `process ${child.pid} exited (${signal ?? `code ${code}`}) before printing ${regex}; output:\n${tail(state.text)}`));
      });
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for process ${child.pid} to print ${regex}; output:\n${tail(state.text)}`));
    }, timeoutMs);
    const onData = (): void => void check();
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    // listeners added after capture()'s, so the text is appended before check() runs
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    if (check()) return;
    if (hasExited(child)) onExit(child.exitCode, child.signalCode);
  });
}

/** The last lines of captured output, for error messages. */
function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** How a child process ended. */
export interface ExitInfo {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** The signal that killed it, or null. */
  signal: NodeJS.Signals | null;
}

/**
 * Sends `signal` (default SIGTERM) to `child` and resolves when it has exited. If it is still alive
 * after `timeoutMs` (default 10000) it is SIGKILLed and the promise rejects saying so. Resolves at
 * once when it had already exited.
 */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> {
  assertInteger('killAndWait.timeoutMs', timeoutMs, 1);
  if (hasExited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise<ExitInfo>((resolvePromise, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      if (timedOut) reject(new WaitTimeoutError(`process ${child.pid} ignored ${signal} for ${timeoutMs} ms and was SIGKILLed`));
      else resolvePromise({ code, signal: sig });
    });
    if (signal === 'SIGKILL' || signal === 'SIGTERM') child.kill('SIGCONT');
    if (!child.kill(signal) && hasExited(child)) {
      clearTimeout(timer);
      resolvePromise({ code: child.exitCode, signal: child.signalCode });
    }
  });
}
