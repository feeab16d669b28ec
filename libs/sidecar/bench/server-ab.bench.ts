/**
 * Older SidecarServers against this checkout's, alternating in ONE run (so machine noise hits all alike):
 *
 *   git archive <old-commit> libs tsconfig.base.json | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *   ROUNDS=9 CALLS=8000 node -r @swc-node/register libs/sidecar/bench/server-ab.bench.ts /tmp/old [/tmp/other ...]
 *
 * Starts one SidecarServer process per tree (server-ab.process.ts; the first tree given is the
 * baseline, this checkout comes last), then for each round sends CALLS sequential raw grpc-js Echo
 * calls (c1, auth metadata, 2 s deadline) to each server in turn (the order rotates every round),
 * after a warm-up. Per round and server: p50 latency (µs) and the server process's CPU per call
 * (µs, from /proc). Prints each round, then per tree the medians and the median of the per-round
 * ratios to the baseline. Exit 0 whatever the figures; 1 on a real failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';

const here = resolve(__dirname, '..', '..', '..');
if (!process.env['SWC_NODE_PROJECT']) {
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    cwd: here,
    env: { ...process.env, SWC_NODE_PROJECT: join(here, 'tsconfig.base.json') },
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  void run().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`server-ab failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

const TOKEN = 'bench-shared-token-0123456789abcdef';

function startServer(root: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(here, 'libs/sidecar/bench/server-ab.process.ts')], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), SIDECAR_ROOT: root, TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePort, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) resolvePort({ child, port: Number(match[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server for ${root} exited (${code}) before READY`)));
  });
}

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Target {
  readonly name: string;
  readonly pid: number;
  readonly call: () => Promise<void>;
}

async function measure(target: Target, calls: number): Promise<{ p50: number; cpu: number }> {
  const latencies = new Float64Array(calls);
  const cpuBefore = cpuMicros(target.pid);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await target.call();
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return { p50: median(Array.from(latencies)), cpu: (cpuMicros(target.pid) - cpuBefore) / calls };
}

async function run(): Promise<void> {
  const roots = process.argv.slice(2).map((root) => resolve(root));
  if (roots.length === 0) throw new Error('usage: server-ab.bench.ts <baseline checkout root> [more roots]; ROUNDS (9) and CALLS (8000) in the environment');
  roots.push(here);
  const rounds = Number(process.env['ROUNDS'] ?? 9);
  const calls = Number(process.env['CALLS'] ?? 8000);
  const { authMetadata } = await import('../src/lib/auth/index');
  const { loadEcho } = await import('../test/fixtures/load-echo');
  const method = loadEcho().definition['Echo'];
  const metadata = authMetadata({ token: TOKEN }, 'bench-client', 'bench-client-1');
  const servers = await Promise.all(roots.map((root) => startServer(root)));
  const targets: Target[] = servers.map(({ child, port }, i) => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return {
      name: i === roots.length - 1 ? 'this checkout' : roots[i],
      pid: child.pid as number,
      call: () =>
        new Promise<void>((done, fail) =>
          client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { message: 'ping' }, metadata.clone(), { deadline: Date.now() + 2000 }, (error) =>
            error ? fail(error) : done(),
          ),
        ),
    };
  });
  try {
    process.stderr.write(`warming up (${calls} calls each)\n`);
    for (const target of targets) await measure(target, calls);
    const rows = targets.map(() => [] as { p50: number; cpu: number }[]);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + round) % targets.length;
        rows[i].push(await measure(targets[i], calls));
      }
      const cells = targets.map((t, i) => `${t.name}: p50 ${rows[i][round].p50.toFixed(1)} µs, CPU ${rows[i][round].cpu.toFixed(1)} µs/call`);
      process.stdout.write(`round ${round + 1}/${rounds}: ${cells.join(' | ')}\n`);
    }
    process.stdout.write(`medians of ${rounds} rounds × ${calls} calls (ratios: median of the per-round ratios to ${targets[0].name}):\n`);
    for (let i = 0; i < targets.length; i++) {
      const med = (key: 'p50' | 'cpu'): string => median(rows[i].map((r) => r[key])).toFixed(1);
      const ratio = (key: 'p50' | 'cpu'): string => median(rows[i].map((r, j) => r[key] / rows[0][j][key])).toFixed(3);
      process.stdout.write(`  ${targets[i].name}: p50 ${med('p50')} µs (×${ratio('p50')}), server CPU ${med('cpu')} µs/call (×${ratio('cpu')})\n`);
    }
  } finally {
    for (const { child } of servers) child.kill('SIGTERM');
  }
}
