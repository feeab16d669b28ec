import { isProcessAlive, redisCommand } from '@failsoft/testing';
import { probe } from '../readiness';
import { failsoftPaths, readRunState, shortPath, STATE_DIR_ENV, type RunState } from '../run-state';
import type { Command } from './command';

/** Live view of one row. */
interface Row {
  id: string;
  service: string;
  zone: string;
  pid: string;
  http: string;
  grpc: string;
  state: string;
  ready: string;
}

function table(rows: Row[]): string[] {
  const header: Row = { id: 'ID', service: 'SERVICE', zone: 'ZONE', pid: 'PID', http: 'HTTP', grpc: 'GRPC', state: 'STATE', ready: 'READY' };
  const keys = Object.keys(header) as Array<keyof Row>;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  return [header, ...rows].map((r) => keys.map((k, i) => r[k].padEnd(widths[i])).join('  ').trimEnd());
}

async function redisRole(port: number): Promise<string> {
  try {
    const info = String(await redisCommand(port, ['INFO', 'replication'], { timeoutMs: 500 }));
    return /role:master/.test(info) ? 'master' : /role:slave/.test(info) ? 'replica' : 'up';
  } catch {
    return 'down';
  }
}

async function sentinelUp(port: number): Promise<boolean> {
  try {
    return (await redisCommand(port, ['PING'], { timeoutMs: 500 })) === 'PONG';
  } catch {
    return false;
  }
}

/** `failsoft status`: what `failsoft up` runs, from the run-state file, with live health probes. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show the running platform: instances, pids, ports, health (probes /readyz)',
  usage: 'failsoft status [--json]',
  details: ['Reads .failsoft/run-state.json (written by failsoft up) and probes every instance.', 'Exit code 0 when everything is ready, 1 otherwise (not running, or something not ready).'],
  flags: [{ name: 'json', type: 'boolean', description: 'print the run-state with live health as JSON' }],
  async run(flags, ctx) {
    const paths = failsoftPaths(ctx.workspace, ctx.env[STATE_DIR_ENV]);
    let state: RunState | undefined;
    try {
      state = readRunState(paths.runState);
    } catch (error) {
      ctx.io.err(`failsoft status: ${(error as Error).message}`);
      return 1;
    }
    if (!state) {
      ctx.io.err(`failsoft is not running here (no ${shortPath(ctx.workspace, paths.runState)}); start it with: npm start`);
      return 1;
    }
    const running = state.stoppedAt === null && isProcessAlive(state.cliPid);
    const probes = await Promise.all(
      state.processes.map(async (p) => {
        const alive = p.pid !== null && isProcessAlive(p.pid);
        const readyz = alive ? await probe(`${p.url}/readyz`, 1000) : undefined;
        return { id: p.id, alive, ready: readyz?.status === 200, readyz: readyz?.status ?? readyz?.error ?? null };
      }),
    );
    const frontDoor = running ? await probe(`${state.frontDoor.url}/readyz`, 1500) : undefined;
    const servers = await Promise.all(state.redis.servers.map(async (s) => ({ ...s, role: running ? await redisRole(s.port) : 'down' })));
    const sentinels = await Promise.all(state.redis.sentinels.map(async (s) => ({ ...s, up: running && (await sentinelUp(s.port)) })));
    const allReady = running && frontDoor?.status === 200 && probes.every((p) => p.ready) && servers.some((s) => s.role === 'master');

    if (flags['json']) {
      ctx.io.out(
        JSON.stringify(
          {
            ...state,
            running,
            allReady,
            frontDoor: { ...state.frontDoor, readyz: frontDoor?.status ?? frontDoor?.error ?? null },
            redis: { ...state.redis, servers, sentinels },
            processes: state.processes.map((p, i) => ({ ...p, alive: probes[i].alive, ready: probes[i].ready, readyz: probes[i].readyz })),
          },
          null,
          2,
        ),
      );
      return allReady ? 0 : 1;
    }

    if (!running) {
      const why = state.stoppedAt ? `stopped at ${state.stoppedAt}` : `its failsoft up process (pid ${state.cliPid}) is gone`;
      ctx.io.out(`failsoft is not running (${why}); start it with: npm start`);
    } else {
      ctx.io.out(`failsoft up (pid ${state.cliPid}) running since ${state.startedAt}${state.readyAt ? `, ready since ${state.readyAt}` : ', not ready yet'}`);
    }
    const fd = state.frontDoor;
    ctx.io.out(
      `front door: ${fd.url} (${fd.kind === 'haproxy' ? `haproxy pid ${fd.pid ?? '-'}` : fd.kind === 'direct' ? 'direct to gateway-1: haproxy not installed, no failover' : 'not started'}): ` +
        (frontDoor ? (frontDoor.status === 200 ? 'ready' : `not ready (${frontDoor.status ?? frontDoor.error})`) : 'down') +
        (fd.statsUrl && running ? `; stats ${fd.statsUrl}` : ''),
    );
    ctx.io.out(
      `redis (${state.redis.masterName}): ${servers.map((s) => `:${s.port} ${s.role}`).join(', ')}; sentinels: ${sentinels.map((s) => `:${s.port} ${s.up ? 'up' : 'down'}`).join(', ')}`,
    );
    const rows: Row[] = state.processes.map((p, i) => ({
      id: p.id,
      service: p.service,
      zone: p.zone,
      pid: p.pid === null ? '-' : `${p.pid}${probes[i].alive ? '' : ' (dead)'}`,
      http: String(p.httpPort),
      grpc: p.grpcPort === null ? '-' : String(p.grpcPort),
      state: `${p.state}${p.restarts ? ` (${p.restarts} restart${p.restarts === 1 ? '' : 's'})` : ''}`,
      ready: probes[i].ready ? 'ready' : probes[i].alive ? `no (${probes[i].readyz})` : 'no',
    }));
    for (const line of table(rows)) ctx.io.out(line);
    ctx.io.out(`logs: ${state.logsDir}/<id>.log   run-state: ${shortPath(ctx.workspace, paths.runState)}`);
    return allReady ? 0 : 1;
  },
};
