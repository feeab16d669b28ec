import { isProcessAlive, redisCommand } from '@failsoft/testing';
import { chaosTargetFor, COMPOSE_FLAG } from '../chaos/chaos-cli';
import type { ChaosStatus } from '../chaos/chaos-target';
import { ControlClient } from '../control/control.client';
import { probe } from '../readiness';
import { failsoftPaths, readRunState, shortPath, STATE_DIR_ENV, type RunState } from '../run-state';
import type { CliIo, Command } from './command';
import { describeRule } from './fault';

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

/** Breakers that are not closed, per gateway (`gateway-1: likes open, likes@127.0.0.1:5001 open`). */
function breakerLines(breakers: ChaosStatus['breakers']): string[] {
  const gateways = Object.keys(breakers).sort();
  if (gateways.length === 0) return ['breakers: unknown (no gateway answered /snapshot)'];
  return gateways.map((g) => {
    const entries = Object.entries(breakers[g]);
    const notClosed = entries.filter(([, state]) => state !== 'closed' && state !== 'none');
    return `breakers seen by ${g}: ${entries.length === 0 ? 'none yet' : notClosed.length === 0 ? `all ${entries.length} closed` : notClosed.map(([k, state]) => `${k} ${state}`).join(', ')}`;
  });
}

/** The chaos view: leader, breakers, fault rules (and, for compose, instances and Redis). */
function printChaos(io: CliIo, chaos: ChaosStatus, withInstances: boolean): void {
  if (withInstances) {
    io.out(`compose platform: ${chaos.url}`);
    io.out(`redis: master ${chaos.redis.master ?? 'unknown'}; ${chaos.redis.nodes.map((n) => `${n.host} ${n.role}${n.state === 'running' ? '' : ` (${n.state})`}`).join(', ')}`);
    const width = Math.max(2, ...chaos.instances.map((i) => i.id.length));
    for (const i of chaos.instances) io.out(`${i.id.padEnd(width)}  ${i.service.padEnd(8)}  ${i.state}${i.ready === null ? '' : i.ready ? ', ready' : ', not ready'}`);
  } else {
    io.out(`redis master (sentinels agree): ${chaos.redis.master ?? 'unknown (failover in progress?)'}`);
  }
  io.out(`trending job leader (lease feed-trending): ${chaos.trendingLeader ?? 'none right now'}`);
  for (const line of breakerLines(chaos.breakers)) io.out(line);
  io.out(chaos.faults.length === 0 ? 'fault rules: none' : `fault rules (${chaos.faults.length}):`);
  for (const rule of chaos.faults) io.out(`  ${describeRule(rule)}`);
}

/** `failsoft status`: what `failsoft up` runs, from the run-state file, with live health probes. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show the running platform: instances, pids, ports, health (probes /readyz)',
  usage: 'failsoft status [--json] [--compose]',
  details: [
    'Reads .failsoft/run-state.json (written by failsoft up), probes every instance and asks the platform',
    '(its control channel) for the Redis master, the trending job leader, breaker states and fault rules.',
    'Exit code 0 when everything is ready, 1 otherwise (not running, or something not ready).',
  ],
  flags: [{ name: 'json', type: 'boolean', description: 'print the run-state with live health as JSON' }, COMPOSE_FLAG],
  async run(flags, ctx) {
    if (flags['compose'] === true) {
      try {
        const chaos = await chaosTargetFor(flags, ctx).status();
        if (flags['json']) ctx.io.out(JSON.stringify(chaos, null, 2));
        else printChaos(ctx.io, chaos, true);
        return chaos.instances.every((i) => i.state === 'running' && i.ready !== false) && chaos.redis.master !== null ? 0 : 1;
      } catch (error) {
        ctx.io.err(`failsoft status --compose: ${(error as Error).message}`);
        return 1;
      }
    }
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
    let chaos: ChaosStatus | undefined;
    let chaosError: string | undefined;
    if (running && state.control) {
      try {
        chaos = await new ControlClient({ url: state.control.url, token: state.control.token, frontDoorUrl: state.frontDoor.url, timeoutMs: 10_000 }).status();
      } catch (error) {
        chaosError = (error as Error).message;
      }
    }
    const chaosState = new Map(chaos?.instances.map((i) => [i.id, i.state]) ?? []);

    if (flags['json']) {
      ctx.io.out(
        JSON.stringify(
          {
            ...state,
            running,
            allReady,
            frontDoor: { ...state.frontDoor, readyz: frontDoor?.status ?? frontDoor?.error ?? null },
            redis: { ...state.redis, servers, sentinels },
            processes: state.processes.map((p, i) => ({ ...p, state: chaosState.get(p.id) ?? p.state, alive: probes[i].alive, ready: probes[i].ready, readyz: probes[i].readyz })),
            control: state.control ? { url: state.control.url } : undefined,
            chaos: chaos ?? null,
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
      state: `${chaosState.get(p.id) ?? p.state}${p.restarts ? ` (${p.restarts} restart${p.restarts === 1 ? '' : 's'})` : ''}`,
      ready: probes[i].ready ? 'ready' : probes[i].alive ? `no (${probes[i].readyz})` : 'no',
    }));
    for (const line of table(rows)) ctx.io.out(line);
    if (chaos) printChaos(ctx.io, chaos, false);
    else if (chaosError) ctx.io.out(`chaos view unavailable: ${chaosError}`);
    ctx.io.out(`logs: ${state.logsDir}/<id>.log   run-state: ${shortPath(ctx.workspace, paths.runState)}`);
    return allReady ? 0 : 1;
  },
};
