/**
 * The proxy anchor of `npm run bench:sidecar`: HAProxy HTTP/2 (h2c) passthrough hops in front of
 * the bench's plain grpc-js server, so raw grpc-js through one proxy hop (a proxy sidecar on one
 * side) and through two hops (client-side and server-side proxies, the Istio/Linkerd shape) are
 * measured in the same run, with the same client and server processes, as the sidecar client.
 *
 * Two `haproxy` processes (one thread each, as a sidecar proxy gets), each with a generated
 * config in a temp dir, on free ports:
 *   server-side proxy  :A → plain server       (one hop:  client → A → server)
 *   client-side proxy  :B → :A                 (two hops: client → B → A → server)
 * `mode http`, `bind … proto h2`, `server … proto h2`: HTTP/2 end to end, no TLS, no health checks.
 * When `haproxy` is not on the PATH, startHaproxyHops resolves `{ skipped }` with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort, waitUntil } from '@failsoft/testing';

/** Running proxy hops; `stop()` kills both processes and removes the temp dir (idempotent). */
export interface HaproxyHops {
  /** `haproxy -v` first line. */
  readonly version: string;
  /** Port of the one-hop path (server-side proxy → plain server). */
  readonly oneHopPort: number;
  /** Port of the two-hop path (client-side proxy → server-side proxy → plain server). */
  readonly twoHopsPort: number;
  /** The haproxy pids (for CPU accounting). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/** Why the hops were not started (haproxy missing). */
export interface HaproxySkipped {
  readonly skipped: string;
}

/** Finds `haproxy` on the PATH: its version line, or undefined. */
function haproxyVersion(): string | undefined {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error !== undefined || probe.status !== 0) return undefined;
  return probe.stdout.split('\n')[0]?.trim() || 'haproxy';
}

/** An HAProxy config: h2c in, h2c out, one thread, long timeouts (the bench's idle gaps must not close connections). */
function config(listenPort: number, targetPort: number, name: string): string {
  return [
    'global',
    '  nbthread 1',
    '  maxconn 4096',
    '  log /dev/null local0 emerg',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 300s',
    '  timeout server 300s',
    `frontend ${name}_in`,
    `  bind 127.0.0.1:${listenPort} proto h2`,
    `  default_backend ${name}_out`,
    `backend ${name}_out`,
    `  server upstream 127.0.0.1:${targetPort} proto h2`,
    '',
  ].join('\n');
}

/** True once something accepts TCP connections on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 3000);
    timer.unref();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts the two proxies in front of `targetPort` and waits until both accept connections.
 * @throws Error with haproxy's output when a proxy exits or does not listen within 10 s.
 */
export async function startHaproxyHops(targetPort: number): Promise<HaproxyHops | HaproxySkipped> {
  if (!Number.isInteger(targetPort) || targetPort <= 0 || targetPort > 65535) throw new Error(`startHaproxyHops: targetPort must be a port number; got ${JSON.stringify(targetPort)}`);
  const version = haproxyVersion();
  if (version === undefined) return { skipped: 'haproxy is not on the PATH (apt-get install haproxy): the proxy-hop anchors are skipped' };
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-bench-haproxy-'));
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(killProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  const start = async (name: string, listenPort: number, upstreamPort: number): Promise<ChildProcess> => {
    const file = join(dir, `${name}.cfg`);
    writeFileSync(file, config(listenPort, upstreamPort, name));
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
    await waitUntil(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`haproxy (${name}) exited (${child.exitCode ?? child.signalCode}): ${output.trim()}`);
        return accepts(listenPort);
      },
      { timeoutMs: 10_000, intervalMs: 20, message: `haproxy (${name}) did not listen on 127.0.0.1:${listenPort} within 10 s: ${output.trim()}` },
    );
    return child;
  };
  try {
    const oneHopPort = await getFreePort();
    const twoHopsPort = await getFreePort();
    const serverSide = await start('server_side', oneHopPort, targetPort);
    const clientSide = await start('client_side', twoHopsPort, oneHopPort);
    const pids = [serverSide.pid, clientSide.pid].filter((pid): pid is number => pid !== undefined);
    return { version, oneHopPort, twoHopsPort, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
