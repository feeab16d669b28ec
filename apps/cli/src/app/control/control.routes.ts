import { CONTROL_SIGNALS, type ControlAnswers, type ControlSignal, type ControlStatus } from '@failsoft/contracts';
import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { ChaosError, isChaosError } from '../chaos/chaos.error';
import type { ChaosTarget } from '../chaos/chaos-target';
import { newFaultId } from '../chaos/fault-rules';

/** What a route handler gets: the target, the decoded path parameters, and the JSON body (read on demand). */
export interface RouteInput {
  readonly target: ChaosTarget;
  readonly params: Readonly<Record<string, string>>;
  body(): Promise<Record<string, unknown>>;
}

/** One route of the control channel: `path` is a template (`/instances/:id/kill`, without the `/v1` prefix). */
export interface ControlRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  /** Changes something (logged). */
  readonly action: boolean;
  /** Answers with a JSON body (status 200); throws a ChaosError for a 4xx/5xx. */
  readonly handle: (input: RouteInput) => Promise<unknown>;
}

/** The signal of a kill body (default KILL; `SIGTERM` and `term` are accepted). @throws ChaosError BAD_REQUEST */
export function parseSignal(value: unknown): ControlSignal {
  if (value === undefined) return 'KILL';
  const name = typeof value === 'string' ? value.toUpperCase().replace(/^SIG/, '') : undefined;
  if (name !== undefined && (CONTROL_SIGNALS as readonly string[]).includes(name)) return name as ControlSignal;
  throw new ChaosError('BAD_REQUEST', `signal must be one of ${CONTROL_SIGNALS.join(', ')}; got ${JSON.stringify(value)}`);
}

/** Refuses body fields a route does not take. @throws ChaosError BAD_REQUEST naming the first unknown one */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ChaosError('BAD_REQUEST', `unknown field ${JSON.stringify(extra[0])}; ${allowed.length ? `allowed: ${allowed.join(', ')}` : 'this route takes no body fields'}`);
}

function sentinelIndex(raw: string): number {
  if (!/^\d{1,3}$/.test(raw)) throw new ChaosError('BAD_REQUEST', `sentinel index must be a number (0-based); got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The signal of a kill route's body (only `signal` allowed). */
async function killSignal(input: RouteInput): Promise<ControlSignal> {
  const body = await input.body();
  onlyFields(body, ['signal']);
  return parseSignal(body['signal']);
}

async function noBody(input: RouteInput): Promise<void> {
  onlyFields(await input.body(), []);
}

const status = ({ target }: RouteInput): Promise<ControlStatus<FaultRule>> => target.status();

async function killInstance(input: RouteInput): Promise<ControlAnswers['killInstance']> {
  const { id } = input.params;
  const signal = await killSignal(input);
  await input.target.kill(id, signal);
  return { ok: true, id, signal };
}

async function reviveInstance(input: RouteInput): Promise<ControlAnswers['reviveInstance']> {
  await noBody(input);
  await input.target.revive(input.params.id);
  return { ok: true, id: input.params.id };
}

async function killService(input: RouteInput): Promise<ControlAnswers['killService']> {
  const { service } = input.params;
  const signal = await killSignal(input);
  const ids = await input.target.instancesOf(service);
  await Promise.all(ids.map((id) => input.target.kill(id, signal)));
  return { ok: true, service, ids, signal };
}

async function reviveService(input: RouteInput): Promise<ControlAnswers['reviveService']> {
  await noBody(input);
  const ids = await input.target.instancesOf(input.params.service);
  await Promise.all(ids.map((id) => input.target.revive(id)));
  return { ok: true, service: input.params.service, ids };
}

const redisFailover = async ({ target }: RouteInput): Promise<ControlAnswers['redisFailover']> => ({ ok: true, master: await target.redisFailover() });
const redisKillMaster = async ({ target }: RouteInput): Promise<ControlAnswers['redisKillMaster']> => ({ ok: true, killed: await target.redisKillMaster() });
const redisPauseMaster = async ({ target }: RouteInput): Promise<ControlAnswers['redisPauseMaster']> => ({ ok: true, paused: await target.redisPauseMaster() });

async function redisResume({ target }: RouteInput): Promise<ControlAnswers['redisResume']> {
  await target.redisResume();
  return { ok: true };
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ChaosError('BAD_REQUEST', `${name} must be true or false; got ${JSON.stringify(value)}`);
  return value;
}

async function redisKillNode(input: RouteInput): Promise<ControlAnswers['redisNode']> {
  const body = await input.body();
  onlyFields(body, ['hold', 'replicaOnly']);
  const node = await input.target.redisKillNode(input.params.node, { hold: optionalBoolean(body, 'hold'), replicaOnly: optionalBoolean(body, 'replicaOnly') });
  return { ok: true, node };
}

async function redisReviveNode(input: RouteInput): Promise<ControlAnswers['redisNode']> {
  await noBody(input);
  return { ok: true, node: await input.target.redisReviveNode(input.params.node) };
}

async function killSentinel({ target, params }: RouteInput): Promise<ControlAnswers['sentinel']> {
  const index = sentinelIndex(params.index);
  await target.killSentinel(index);
  return { ok: true, index };
}

async function reviveSentinel({ target, params }: RouteInput): Promise<ControlAnswers['sentinel']> {
  const index = sentinelIndex(params.index);
  await target.reviveSentinel(index);
  return { ok: true, index };
}

/** Cuts links between groups of nodes: body `{ groups: [["redis-1"], ["sentinel-1", "redis-2"]] }`. */
async function partition(input: RouteInput): Promise<{ ok: true; cut: string[] }> {
  const body = await input.body();
  onlyFields(body, ['groups']);
  const groups = body['groups'];
  if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g) || g.some((n) => typeof n !== 'string'))) {
    throw new ChaosError('BAD_REQUEST', `groups must be an array of arrays of node names, e.g. [["redis-1"],["sentinel-1","redis-2"]]; got ${JSON.stringify(groups)}`);
  }
  return { ok: true, cut: await input.target.partition(groups as string[][]) };
}

async function heal({ target }: RouteInput): Promise<{ ok: true }> {
  await target.heal();
  return { ok: true };
}

const listFaults = ({ target }: RouteInput): Promise<FaultRule[]> => target.listFaults();

/** Adds a fault rule; a rule without an id gets a fresh one. */
async function addFault(input: RouteInput): Promise<FaultRule> {
  const body = await input.body();
  const service = typeof body['service'] === 'string' ? body['service'] : '*';
  const method = typeof body['method'] === 'string' ? body['method'] : '*';
  return input.target.addFault({ ...body, id: body['id'] === undefined ? newFaultId(service, method) : body['id'] } as unknown as FaultRuleInput);
}

async function removeFault({ target, params }: RouteInput): Promise<ControlAnswers['removeFault']> {
  await target.removeFault(params.id);
  return { ok: true, id: params.id };
}

/** Removes every rule (one removed meanwhile by someone else is not an error). */
async function clearFaults({ target }: RouteInput): Promise<ControlAnswers['clearFaults']> {
  const ids = (await target.listFaults()).map((r) => r.id);
  for (const id of ids) await target.removeFault(id).catch((error: unknown) => (isChaosError(error, 'NOT_FOUND') ? undefined : Promise.reject(error)));
  return { ok: true, removed: ids };
}

async function waitHealthy(input: RouteInput): Promise<ControlAnswers['waitHealthy']> {
  const body = await input.body();
  onlyFields(body, ['timeoutMs']);
  const timeoutMs = body['timeoutMs'] ?? 60_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new ChaosError('BAD_REQUEST', `timeoutMs must be an integer from 1 to 600000; got ${JSON.stringify(timeoutMs)}`);
  }
  await input.target.waitForHealthy(timeoutMs);
  return { ok: true };
}

/** The routes of the control channel: one small handler each (paths as in CONTROL_PATHS of @failsoft/contracts). */
export const CONTROL_ROUTES: readonly ControlRoute[] = [
  { method: 'GET', path: '/status', action: false, handle: status },
  { method: 'POST', path: '/instances/:id/kill', action: true, handle: killInstance },
  { method: 'POST', path: '/instances/:id/revive', action: true, handle: reviveInstance },
  { method: 'POST', path: '/services/:service/kill', action: true, handle: killService },
  { method: 'POST', path: '/services/:service/revive', action: true, handle: reviveService },
  { method: 'POST', path: '/redis/failover', action: true, handle: redisFailover },
  { method: 'POST', path: '/redis/kill-master', action: true, handle: redisKillMaster },
  { method: 'POST', path: '/redis/pause-master', action: true, handle: redisPauseMaster },
  { method: 'POST', path: '/redis/resume', action: true, handle: redisResume },
  { method: 'POST', path: '/redis/nodes/:node/kill', action: true, handle: redisKillNode },
  { method: 'POST', path: '/redis/nodes/:node/revive', action: true, handle: redisReviveNode },
  { method: 'POST', path: '/sentinels/:index/kill', action: true, handle: killSentinel },
  { method: 'POST', path: '/sentinels/:index/revive', action: true, handle: reviveSentinel },
  { method: 'POST', path: '/partitions', action: true, handle: partition },
  { method: 'DELETE', path: '/partitions', action: true, handle: heal },
  { method: 'GET', path: '/faults', action: false, handle: listFaults },
  { method: 'POST', path: '/faults', action: true, handle: addFault },
  { method: 'DELETE', path: '/faults/:id', action: true, handle: removeFault },
  { method: 'DELETE', path: '/faults', action: true, handle: clearFaults },
  { method: 'POST', path: '/wait-healthy', action: false, handle: waitHealthy },
];
