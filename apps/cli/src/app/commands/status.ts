import { isProcessAlive, redisCommand } from '@failsoft/local-runtime';
import { chaosTargetFor, COMPOSE_FLAG } from '../chaos/chaos-cli';
import type { ChaosStatus } from '../chaos/chaos-target';
import { ControlClient } from '../control/control.client';
import { probe, type ProbeResult } from '../readiness';
import { failsoftPaths, readRunState, shortPath, STATE_DIR_ENV, type RunState } from '../run-state';
import type { ParsedFlags } from '../args';
import type { CliContext, CliIo, Command } from './command';
import { describeRule } from './fault';
import { redisNodeName, redisZone, sentinelName } from '../redis-placement';
import { readRedisPasswords } from '../secrets';
import { redisClientAuth, type RedisClientAuth } from '../local-platform/redis-auth';

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

async function redisRole(port: number, auth: RedisClientAuth): Promise<string> {
  try {
    const info = String(await redisCommand(port, ['INFO', 'replication'], { timeoutMs: 500, ...auth.data }));
    return /role:master/.test(info) ? 'master' : /role:slave/.test(info) ? 'replica' : 'up';
  } catch {
    return 'down';
  }
}

async function sentinelUp(port: number, auth: RedisClientAuth): Promise<boolean> {
  try {
    return (await redisCommand(port, ['PING'], { timeoutMs: 500, ...auth.sentinel })) === 'PONG';
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
    for (const i of chaos.instances) io.out(`${i.id.padEnd(width)}  ${i.service.padEnd(8)}  ${(i.zone ?? '').padEnd(6)}  restarts ${String(i.restarts).padEnd(3)} ${i.state}${i.ready === null ? '' : i.ready ? ', ready' : ', not ready'}`);
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
    if (flags['compose'] === true) return composeStatus(flags, ctx);
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
    // the platform's Redis wants the passwords of its secrets file (none: an older run without them)
    const live = await observe(state, redisClientAuth(readRedisPasswords(paths.secrets)));
    if (flags['json']) printJson(ctx.io, state, live);
    else printLocal(ctx, state, live, shortPath(ctx.workspace, paths.runState));
    return live.allReady ? 0 : 1;
  },
};

/** `failsoft status --compose`: the compose platform's status. */
async function composeStatus(flags: ParsedFlags, ctx: CliContext): Promise<number> {
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

/** What the run-state names, probed live. */
interface Live {
  running: boolean;
  allReady: boolean;
  probes: Array<{ id: string; alive: boolean; ready: boolean; readyz: number | string | null }>;
  frontDoor: ProbeResult | undefined;
  servers: Array<RunState['redis']['servers'][number] & { role: string }>;
  sentinels: Array<RunState['redis']['sentinels'][number] & { up: boolean }>;
  chaos: ChaosStatus | undefined;
  chaosError: string | undefined;
  /** The chaos view's state of each instance (`held`, `paused`...), when there is one. */
  chaosState: Map<string, string>;
}

/** Probes every instance, the front door, Redis, and asks the control channel for the chaos view. */
async function observe(state: RunState, auth: RedisClientAuth): Promise<Live> {
  const running = state.stoppedAt === null && isProcessAlive(state.cliPid);
  const probes = await Promise.all(
    state.processes.map(async (p) => {
      const alive = p.pid !== null && isProcessAlive(p.pid);
      const readyz = alive ? await probe(`${p.url}/readyz`, 1000) : undefined;
      return { id: p.id, alive, ready: readyz?.status === 200, readyz: readyz?.status ?? readyz?.error ?? null };
    }),
  );
  const frontDoor = running ? await probe(`${state.frontDoor.url}/readyz`, 1500) : undefined;
  const servers = await Promise.all(state.redis.servers.map(async (s) => ({ ...s, role: running ? await redisRole(s.port, auth) : 'down' })));
  const sentinels = await Promise.all(state.redis.sentinels.map(async (s) => ({ ...s, up: running && (await sentinelUp(s.port, auth)) })));
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
  return { running, allReady, probes, frontDoor, servers, sentinels, chaos, chaosError, chaosState };
}

/** `failsoft status --json`: the run-state with live health. */
function printJson(io: CliIo, state: RunState, live: Live): void {
  const { running, allReady, probes, frontDoor, servers, sentinels, chaos, chaosState } = live;
  const out = {
    ...state,
    running,
    allReady,
    frontDoor: { ...state.frontDoor, readyz: frontDoor?.status ?? frontDoor?.error ?? null },
    redis: { ...state.redis, servers, sentinels },
    processes: state.processes.map((p, i) => ({ ...p, state: chaosState.get(p.id) ?? p.state, alive: probes[i].alive, ready: probes[i].ready, readyz: probes[i].readyz })),
    control: state.control ? { url: state.control.url } : undefined,
    chaos: chaos ?? null,
  };
  io.out(JSON.stringify(out, null, 2));
}

/** `failsoft status`: the platform, its front door, Redis and every instance, for people. */
function printLocal(ctx: CliContext, state: RunState, live: Live, runStateFile: string): void {
  const { running, probes, frontDoor, servers, sentinels, chaos, chaosError, chaosState } = live;
  if (!running) {
    const why = state.stoppedAt ? `stopped at ${state.stoppedAt}` : `its failsoft up process (pid ${state.cliPid}) is gone`;
    ctx.io.out(`failsoft is not running (${why}); start it with: npm start`);
  } else {
    ctx.io.out(`failsoft up (pid ${state.cliPid}) running since ${state.startedAt}${state.readyAt ? `, ready since ${state.readyAt}` : ', not ready yet'}`);
  }
  const fd = state.frontDoor;
  ctx.io.out(
    `front door: ${fd.url} (${fd.kind === 'haproxy' ? (fd.instances ?? [{ id: 'haproxy', pid: fd.pid }]).map((i) => `${i.id} pid ${i.pid ?? '-'}`).join(', ') + (fd.instances && fd.instances.length > 1 ? ', active-active on one port' : '') : fd.kind === 'direct' ? 'direct to gateway-1: haproxy not installed, no failover' : 'not started'}): ` +
      (frontDoor ? (frontDoor.status === 200 ? 'ready' : `not ready (${frontDoor.status ?? frontDoor.error})`) : 'down') +
      (fd.statsUrl && running ? `; stats ${fd.statsUrl}` : ''),
  );
  const held = new Set((chaos?.redis.nodes ?? []).filter((n) => n.state === 'held').map((n) => n.port));
  ctx.io.out(
    `redis (${state.redis.masterName}): ${servers.map((s, i) => `${redisNodeName(i)} :${s.port} ${held.has(s.port) ? 'held' : s.role} (${redisZone(i)})`).join(', ')}; ` +
      `sentinels: ${sentinels.map((s, i) => `${sentinelName(i)} :${s.port} ${s.up ? 'up' : 'down'} (${redisZone(i)})`).join(', ')}`,
  );
  if (state.prometheus) ctx.io.out(`prometheus: ${state.prometheus.url} (pid ${state.prometheus.pid ?? '-'})`);
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
  ctx.io.out(`logs: ${state.logsDir}/<id>.log   run-state: ${runStateFile}`);
}
