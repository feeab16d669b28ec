import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { spawnTsNode, startRedisServer, waitForOutput, killAndWait } from '@failsoft/testing';
import { authMetadata } from '../src/lib/auth/index';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/lib/client/channel-pool';
import { formatTraceparent, newTrace } from '../src/lib/telemetry/trace-context';
import { loadEcho } from '../test/fixtures/load-echo';

function cpu(pid: number): number { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 1e4; }
async function main() {
  const redis = await startRedisServer();
  const server = spawnTsNode('libs/sidecar/bench/bench-server.process.ts', [], { TOKEN: 't0123456789', REDIS_PORT: String(redis.port) });
  const port = Number((await waitForOutput(server, /READY (\d+) (\d+)/, 30000))[1]);
  const md = authMetadata({ token: 't0123456789' }, 'bench-client', 'bench-client-1');
  const method = loadEcho().definition['Echo'];
  const mk = (extra: (m: grpc.Metadata) => void, opts: grpc.ChannelOptions = {}) => {
    const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { ...DEFAULT_CHANNEL_OPTIONS, ...opts });
    return () => new Promise((res, rej) => { const m = md.clone(); extra(m); c.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { message: 'ping' }, m, { deadline: Date.now() + 2000 }, (e, r) => (e ? rej(e) : res(r))); });
  };
  const constTp = formatTraceparent(newTrace());
  const variants: [string, () => Promise<unknown>][] = [
    ['raw', mk(() => undefined)],
    ['raw+traceparent (random)', mk((m) => m.set('traceparent', formatTraceparent(newTrace())), { 'grpc.x': 1 })],
    ['raw+traceparent (constant)', mk((m) => m.set('traceparent', constTp), { 'grpc.x': 2 })],
    ['raw+x-random-32hex', mk((m) => m.set('x-r', newTrace().traceId), { 'grpc.x': 3 })],
  ];
  const res = new Map<string, number[][]>();
  const round = async (name: string, call: () => Promise<unknown>, ms: number) => {
    let n = 0; const end = performance.now() + ms; const c0 = process.cpuUsage(); const s0 = cpu(server.pid!); const t0 = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => { while (performance.now() < end) { await call(); n++; } }));
    const c = process.cpuUsage(c0); const s = cpu(server.pid!) - s0; const secs = (performance.now() - t0) / 1000;
    const r = [n / secs, (c.user + c.system) / n, s / n];
    if (!res.has(name)) res.set(name, []); res.get(name)!.push(r);
  };
  for (const [n, c] of variants) await round(n, c, 500);
  res.clear();
  for (let r = 0; r < 5; r++) for (const [n, c] of (r % 2 ? [...variants].reverse() : variants)) await round(n, c, 1200);
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  for (const [n, rs] of res) console.log(n.padEnd(30), 'calls/s', med(rs.map((x) => x[0])).toFixed(0), ' client CPU µs/call', med(rs.map((x) => x[1])).toFixed(1), ' server CPU µs/call', med(rs.map((x) => x[2])).toFixed(1));
  await killAndWait(server, 'SIGTERM', 5000); await redis.stop();
  process.exit(0);
}
void main();
