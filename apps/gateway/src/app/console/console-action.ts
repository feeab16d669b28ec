import { randomBytes } from 'node:crypto';
import { CONTROL_SIGNALS, PLATFORM_SERVICE_NAMES } from '@failsoft/contracts';
import { validateFaultRule, type FaultRuleInput } from '@failsoft/sidecar';
import { bodyObject, describe } from '../common/json-input';
import { badRequest } from '../errors/api-error';

/** Actions the console may ask of the control channel. */
export const CONSOLE_ACTIONS = ['kill', 'revive', 'kill-service', 'revive-service', 'redis-failover', 'add-fault', 'clear-faults'] as const;
/** One console action name. */
export type ConsoleActionName = (typeof CONSOLE_ACTIONS)[number];

/** Signals the console may send to an instance (the control channel's). */
export const CONSOLE_SIGNALS = CONTROL_SIGNALS;
/** One signal. */
export type ConsoleSignal = (typeof CONSOLE_SIGNALS)[number];

/** Services whose instances the console controls (plus the front doors, one by one; Redis has its own actions). */
export const CONSOLE_SERVICES = PLATFORM_SERVICE_NAMES;

/** An instance id: `<service>-<n>`, e.g. `likes-1`. */
export const INSTANCE_ID_PATTERN = new RegExp(`^(${CONSOLE_SERVICES.join('|')})-[1-9][0-9]{0,2}$`);

/** A front door's id: `haproxy-1` (npm start: the HAProxy processes) or `front-door-1` (compose: the VRRP pair). */
export const FRONT_DOOR_ID_PATTERN = /^(haproxy|front-door)-[1-9]$/;

/** A validated action, ready for the control channel. */
export type ConsoleAction =
  | { readonly action: 'kill'; readonly target: string; readonly signal: ConsoleSignal }
  | { readonly action: 'revive'; readonly target: string }
  | { readonly action: 'kill-service' | 'revive-service'; readonly target: string }
  | { readonly action: 'redis-failover' | 'clear-faults' }
  | { readonly action: 'add-fault'; readonly fault: FaultRuleInput };

const EXAMPLE = '{"action":"kill","target":"likes-1"}';
/** Fields each action accepts (besides `action`). */
const FIELDS: Readonly<Record<ConsoleActionName, readonly string[]>> = {
  kill: ['target', 'signal'],
  revive: ['target'],
  'kill-service': ['target'],
  'revive-service': ['target'],
  'redis-failover': [],
  'add-fault': ['fault'],
  'clear-faults': [],
};
const FAULT_FIELDS = ['service', 'method', 'delayMs', 'abortPercent', 'ttlS'];

/** Longest delay a console fault rule may inject, ms (a longer one is a hang: kill with STOP instead). */
export const FAULT_MAX_DELAY_MS = 10_000;
/** Lifetime of a console fault rule when none is given, and the longest allowed, seconds (10 min). */
export const FAULT_MAX_TTL_S = 600;

/**
 * Validates the body of `POST /api/console/actions` strictly: a known action, only the fields
 * that action takes, an instance id like `likes-1` or a service name, a known signal, and a fault
 * rule the sidecar accepts (it gets a fresh id `console-<hex>`, a delay of at most
 * FAULT_MAX_DELAY_MS, and an expiry `ttlS` seconds from now: FAULT_MAX_TTL_S by default and at most).
 * @throws ApiError 400 (`INVALID_BODY`, `INVALID_ACTION`, `INVALID_FIELD`, `INVALID_FAULT`) naming what is wrong.
 */
export function parseConsoleAction(body: unknown, newId: () => string = () => `console-${randomBytes(4).toString('hex')}`, nowMs: number = Date.now()): ConsoleAction {
  const input = bodyObject(body, EXAMPLE);
  const action = input['action'];
  if (typeof action !== 'string' || !(CONSOLE_ACTIONS as readonly string[]).includes(action)) {
    throw badRequest(`"action" must be one of ${CONSOLE_ACTIONS.join(', ')}; got ${typeof action === 'string' ? JSON.stringify(action.slice(0, 40)) : describe(action)}`, 'INVALID_ACTION', { field: 'action' });
  }
  const name = action as ConsoleActionName;
  const allowed = FIELDS[name];
  for (const key of Object.keys(input)) {
    if (key !== 'action' && !allowed.includes(key)) {
      throw badRequest(`"${key.slice(0, 40)}" is not a field of action "${name}" (it takes ${allowed.length === 0 ? 'no other field' : allowed.map((f) => `"${f}"`).join(', ')})`, 'INVALID_FIELD', { field: key.slice(0, 40) });
    }
  }
  switch (name) {
    case 'kill': {
      const target = instanceTarget(input['target']);
      const signal = input['signal'] === undefined ? 'KILL' : input['signal'];
      if (typeof signal !== 'string' || !(CONSOLE_SIGNALS as readonly string[]).includes(signal)) {
        throw badRequest(`"signal" must be one of ${CONSOLE_SIGNALS.join(', ')}; got ${typeof signal === 'string' ? JSON.stringify(signal.slice(0, 20)) : describe(signal)}`, 'INVALID_FIELD', { field: 'signal' });
      }
      return { action: name, target, signal: signal as ConsoleSignal };
    }
    case 'revive':
      return { action: name, target: instanceTarget(input['target']) };
    case 'kill-service': {
      const target = serviceTarget(input['target']);
      if (target === 'gateway') {
        throw badRequest('killing every gateway would cut the console (and everyone) off from the platform; kill one gateway, or use `failsoft kill gateway` from a terminal', 'INVALID_FIELD', { field: 'target' });
      }
      return { action: name, target };
    }
    case 'revive-service':
      return { action: name, target: serviceTarget(input['target']) };
    case 'add-fault':
      return { action: name, fault: faultOf(input['fault'], newId(), nowMs) };
    default:
      return { action: name };
  }
}

function instanceTarget(value: unknown): string {
  if (typeof value !== 'string' || !(INSTANCE_ID_PATTERN.test(value) || FRONT_DOOR_ID_PATTERN.test(value))) {
    throw badRequest(`"target" must be an instance id like "likes-1" (${CONSOLE_SERVICES.join(', ')} followed by -<n>) or a front door (haproxy-<n>, front-door-<n>); got ${shown(value)}`, 'INVALID_FIELD', { field: 'target' });
  }
  return value;
}

function serviceTarget(value: unknown): string {
  if (typeof value !== 'string' || !(CONSOLE_SERVICES as readonly string[]).includes(value)) {
    throw badRequest(`"target" must be a service: ${CONSOLE_SERVICES.join(', ')}; got ${shown(value)}`, 'INVALID_FIELD', { field: 'target' });
  }
  return value;
}

function faultOf(value: unknown, id: string, nowMs: number): FaultRuleInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`"fault" must be an object like {"service":"likes","method":"Counts","delayMs":300} or {"service":"likes","abortPercent":50}; got ${describe(value)}`, 'INVALID_FAULT', { field: 'fault' });
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!FAULT_FIELDS.includes(key)) throw badRequest(`"fault.${key.slice(0, 40)}" is not accepted (a fault takes ${FAULT_FIELDS.join(', ')})`, 'INVALID_FAULT', { field: `fault.${key.slice(0, 40)}` });
  }
  if (typeof raw['service'] !== 'string' || !(CONSOLE_SERVICES as readonly string[]).includes(raw['service']) || raw['service'] === 'gateway') {
    throw badRequest(`"fault.service" must be upload, likes or feed (the services that serve gRPC); got ${shown(raw['service'])}`, 'INVALID_FAULT', { field: 'fault.service' });
  }
  const ttlS = raw['ttlS'] === undefined ? FAULT_MAX_TTL_S : raw['ttlS'];
  if (typeof ttlS !== 'number' || !Number.isInteger(ttlS) || ttlS < 1 || ttlS > FAULT_MAX_TTL_S) {
    throw badRequest(`"fault.ttlS" (how long the rule lasts) must be a whole number of seconds from 1 to ${FAULT_MAX_TTL_S}; got ${shown(ttlS)}`, 'INVALID_FAULT', { field: 'fault.ttlS' });
  }
  if (typeof raw['delayMs'] === 'number' && raw['delayMs'] > FAULT_MAX_DELAY_MS) {
    throw badRequest(`"fault.delayMs" must be at most ${FAULT_MAX_DELAY_MS} ms from the console (to hang an instance, use the Hang button); got ${raw['delayMs']}`, 'INVALID_FAULT', { field: 'fault.delayMs' });
  }
  const input: FaultRuleInput = { id, service: raw['service'], expiresAt: nowMs + ttlS * 1000 };
  if (raw['method'] !== undefined) input.method = raw['method'] as string;
  if (raw['delayMs'] !== undefined) input.delayMs = raw['delayMs'] as number;
  if (raw['abortPercent'] !== undefined) input.abortPercent = raw['abortPercent'] as number;
  try {
    validateFaultRule(input);
  } catch (error) {
    throw badRequest(`"fault" is not a valid fault rule: ${(error as Error).message.replace(/^fault rule "[^"]*"(: )?/, '')}`, 'INVALID_FAULT', { field: 'fault' });
  }
  return input;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : describe(value);
}
