import { killAndWait, spawnTsNode, waitForOutput } from '@failsoft/testing';
import * as grpc from '@grpc/grpc-js';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { authMetadata, createChannelCredentials } from '../auth/credentials';
import { MetadataKeys } from '../core/metadata-keys';
import { callUnary, createEchoClient } from '../../../test/fixtures/load-echo';

jest.setTimeout(120_000);

const SCRIPT = 'libs/sidecar/test/fixtures/echo-server.process.ts';
const TOKEN = 'early-admission-token-0123456789';
const AUTH = { token: TOKEN };
const MiB = 1024 * 1024;
/** Each refused message: 15 MiB, under the server's 16 MiB receive limit (so only the admission check stops it). */
const BIG = 'x'.repeat(15 * MiB);
const ROUNDS = 4;
const CONCURRENT = 10;

/** Resident set size of `pid`, in bytes (Linux /proc). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Samples the RSS of `pid` every 10 ms while `work` runs; returns the highest sample. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rss(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rss(pid));
}

/** Outcome of one call: the status name plus the x-failsoft-error trailer. */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (error: grpc.ServiceError) => `${grpc.status[error.code]}/${String(error.metadata?.get(MetadataKeys.error)[0] ?? '')}`,
  );
}

describe('early admission (a real server process): credentials and permissions are checked before the body is read', () => {
  let child: ChildProcess;
  let client: grpc.Client;

  beforeAll(async () => {
    child = spawnTsNode(SCRIPT, [], { TOKEN, INSTANCE_ID: 'echo-early', LOG_LEVEL: 'error', MAX_RECEIVE_BYTES: String(16 * MiB), PERMISSIONS: JSON.stringify({ Echo: ['gateway'] }) });
    const [, port] = await waitForOutput(child, /READY (\d+)/, 60_000);
    client = createEchoClient(`127.0.0.1:${port}`, createChannelCredentials(AUTH), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
    // warm up every code path once (small messages), so the baseline includes the code, not the data
    expect(await outcome(callUnary(client, 'Echo', { message: 'warm' }, { metadata: authMetadata(AUTH, 'gateway', 'g-1'), timeoutMs: 10_000 }))).toBe('OK');
    expect(await outcome(callUnary(client, 'Echo', { message: 'warm' }, { timeoutMs: 10_000 }))).toBe('UNAUTHENTICATED/UNAUTHENTICATED');
  });

  afterAll(async () => {
    client?.close();
    if (child !== undefined) await killAndWait(child, 'SIGKILL').catch(() => undefined);
  });

  async function flood(metadata: grpc.Metadata | undefined, delayMs = 0): Promise<string[]> {
    const results: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const calls = Array.from({ length: CONCURRENT }, () => outcome(callUnary(client, 'Echo', { message: BIG, delayMs }, { metadata, timeoutMs: 60_000 })));
      results.push(...(await Promise.all(calls)));
    }
    return results;
  }

  it(`keeps the RSS flat (< 15 MiB growth) under ${ROUNDS * CONCURRENT} unauthenticated 15 MiB messages`, async () => {
    const pid = child.pid as number;
    const before = rss(pid);
    let results: string[] = [];
    const peak = await peakRssDuring(pid, async () => void (results = await flood(undefined)));
    expect(new Set(results)).toEqual(new Set(['UNAUTHENTICATED/UNAUTHENTICATED']));
    expect(results).toHaveLength(ROUNDS * CONCURRENT);
    expect((peak - before) / MiB).toBeLessThan(15);
  });

  it('keeps the RSS flat under 15 MiB messages of an authenticated caller without the permission', async () => {
    const pid = child.pid as number;
    const before = rss(pid);
    let results: string[] = [];
    const peak = await peakRssDuring(pid, async () => void (results = await flood(authMetadata(AUTH, 'feed', 'feed-1'))));
    expect(new Set(results)).toEqual(new Set(['PERMISSION_DENIED/PERMISSION_DENIED']));
    expect((peak - before) / MiB).toBeLessThan(15);
  });

  it('control: the same messages from a permitted caller ARE read (the measurement sees them)', async () => {
    const pid = child.pid as number;
    const before = rss(pid);
    // a few calls held 1 s in the handler: their 15 MiB requests are in memory together
    const peak = await peakRssDuring(pid, async () => {
      const calls = Array.from({ length: 4 }, () => outcome(callUnary(client, 'Echo', { message: BIG, delayMs: 1000 }, { metadata: authMetadata(AUTH, 'gateway', 'g-1'), timeoutMs: 60_000 })));
      expect(new Set(await Promise.all(calls))).toEqual(new Set(['OK']));
    });
    expect((peak - before) / MiB).toBeGreaterThan(30);
  });
});
