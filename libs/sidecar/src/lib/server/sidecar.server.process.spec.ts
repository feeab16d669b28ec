import { killAndWait, outputOf, spawnTsNode, waitForOutput, waitUntil } from '@failsoft/testing';
import * as grpc from '@grpc/grpc-js';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { authMetadata, createChannelCredentials } from '../auth/credentials';
import { MetadataKeys } from '../core/metadata-keys';
import { callUnary, createEchoClient, type EchoReply } from '../../../test/fixtures/load-echo';

jest.setTimeout(60_000);

const SCRIPT = 'libs/sidecar/test/fixtures/echo-server.process.ts';
const TOKEN = 'process-token-0123456789';
const AUTH = { token: TOKEN };
const metadata = authMetadata(AUTH, 'load', 'load-1');

function snapshot(port: number): Promise<{ inFlight: number; state: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/snapshot' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    })
      .on('error', reject)
      .end();
  });
}

/** Outcome of one call: 'OK', or the status name plus the x-failsoft-error trailer. */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (error: grpc.ServiceError) => `${grpc.status[error.code]}${error.metadata?.get(MetadataKeys.error)[0] ? `/${String(error.metadata.get(MetadataKeys.error)[0])}` : ''}`,
  );
}

describe('echo-server process: SIGTERM drains under load', () => {
  const children: ChildProcess[] = [];
  const clients: grpc.Client[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(children.splice(0).map((child) => killAndWait(child, 'SIGKILL').catch(() => undefined)));
  });

  function spawnEcho(env: Record<string, string>): ChildProcess {
    const child = spawnTsNode(SCRIPT, [], env);
    children.push(child);
    return child;
  }

  async function startProcess(): Promise<{ child: ChildProcess; echo: grpc.Client; adminPort: number }> {
    const child = spawnEcho({ TOKEN, INSTANCE_ID: 'echo-proc', ADMIN_PORT: '0', LOG_LEVEL: 'warn' });
    const [, adminPort] = await waitForOutput(child, /ADMIN (\d+)/, 30_000);
    const [, port] = await waitForOutput(child, /READY (\d+)/, 30_000);
    const echo = createEchoClient(`127.0.0.1:${port}`, createChannelCredentials(AUTH));
    clients.push(echo);
    return { child, echo, adminPort: Number(adminPort) };
  }

  it('finishes in-flight calls, answers new ones UNAVAILABLE (DRAINING), then exits 0', async () => {
    const { child, echo, adminPort } = await startProcess();
    const inFlight = Array.from({ length: 5 }, (_, i) => callUnary<EchoReply>(echo, 'Echo', { message: `slow-${i}`, delayMs: 3000 }, { metadata, timeoutMs: 30_000 }).then((r) => r.message, (e: grpc.ServiceError) => `failed: ${e.code} ${e.details}`));
    await waitUntil(async () => (await snapshot(adminPort)).inFlight === 5, { timeoutMs: 10_000, message: 'slow calls never reached the server' });

    // steady load from a raw client while the process drains and exits
    let loading = true;
    const loadOutcomes: Array<Promise<string>> = [];
    const loader = (async () => {
      while (loading) {
        loadOutcomes.push(outcome(callUnary(echo, 'Echo', { message: 'load' }, { metadata, timeoutMs: 5000 })));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const exited = killAndWait(child, 'SIGTERM', 30_000);
    await waitForOutput(child, /DRAINING/, 10_000);
    expect(await outcome(callUnary(echo, 'Echo', { message: 'new' }, { metadata, timeoutMs: 5000 }))).toBe('UNAVAILABLE/DRAINING');

    expect(await Promise.all(inFlight)).toEqual(['slow-0', 'slow-1', 'slow-2', 'slow-3', 'slow-4']);
    const exit = await exited;
    loading = false;
    await loader;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(outputOf(child)).toContain('DRAINED');

    const results = await Promise.all(loadOutcomes);
    // every load call either ran before the signal, was refused as draining, or found the process gone
    for (const result of results) expect(['OK', 'UNAVAILABLE/DRAINING', 'UNAVAILABLE']).toContain(result);
    expect(results).toContain('UNAVAILABLE/DRAINING');
  });

  it('exits at once on a second signal, abandoning in-flight calls', async () => {
    const { child, echo, adminPort } = await startProcess();
    const stuck = outcome(callUnary(echo, 'Echo', { message: 'stuck', delayMs: 60_000 }, { metadata, timeoutMs: 120_000 }));
    await waitUntil(async () => (await snapshot(adminPort)).inFlight === 1, { timeoutMs: 10_000, message: 'call never reached the server' });
    child.kill('SIGTERM');
    await waitForOutput(child, /DRAINING/, 10_000);
    const exit = await killAndWait(child, 'SIGTERM', 30_000);
    expect(exit).toEqual({ code: 143, signal: null });
    expect(outputOf(child)).not.toContain('DRAINED');
    expect(await stuck).not.toBe('OK');
  });

  it('refuses to start with a clear message when neither TOKEN nor TLS_DIR is set', async () => {
    const child = spawnEcho({ TOKEN: '', TLS_DIR: '' });
    const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    expect(exit).toBe(78);
    expect(outputOf(child)).toContain('echo-server: set TOKEN (shared token) or TLS_DIR (mutual TLS)');
  });
});
