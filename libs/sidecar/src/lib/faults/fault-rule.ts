import { status } from '@grpc/grpc-js';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertNumber, show } from '../core/validate';

/**
 * A fault injection rule, applied by servers to their incoming calls: for calls to `service`
 * (`'*'` = any) and `method` (`'*'` = any; the method name as written in the .proto, e.g. `Like`),
 * delay `delayPercent`% of them by `delayMs`, and abort `abortPercent`% of them with `abortCode`.
 */
export interface FaultRule {
  /** Unique id (letters, digits, `.`, `_`, `:`, `-`; at most 64 characters). */
  readonly id: string;
  /** Target service name, or `'*'` for every service. */
  readonly service: string;
  /** Target method name, or `'*'` for every method. */
  readonly method: string;
  /** Percentage of matching calls aborted, 0-100. */
  readonly abortPercent: number;
  /** gRPC status code of aborted calls (1-16, default 14 UNAVAILABLE). */
  readonly abortCode: number;
  /** Delay added to delayed calls, in ms (0 = none). */
  readonly delayMs: number;
  /** Percentage of matching calls delayed, 0-100 (default 100). */
  readonly delayPercent: number;
  /** Epoch ms after which the rule no longer applies (unset = until removed). */
  readonly expiresAt?: number;
}

/** What callers pass to create a rule: everything but `id` and `service` has a default. */
export interface FaultRuleInput {
  /** Unique id. */
  id: string;
  /** Target service, or `'*'`. */
  service: string;
  /** Target method, or `'*'` (default). */
  method?: string;
  /** Percentage of calls aborted (default 0). */
  abortPercent?: number;
  /** Status code of aborts: a number 1-16 or a name like `'UNAVAILABLE'` (default UNAVAILABLE). */
  abortCode?: number | string;
  /** Delay in ms (default 0). */
  delayMs?: number;
  /** Percentage of calls delayed (default 100). */
  delayPercent?: number;
  /** Epoch ms after which the rule stops applying. */
  expiresAt?: number;
}

/** The longest delay a rule may inject (10 minutes). */
export const MAX_FAULT_DELAY_MS = 600_000;
const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const NAME = /^(\*|[A-Za-z0-9._/-]{1,128})$/;

/** The name of a gRPC status code (`14` → `UNAVAILABLE`). */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? String(code);
}

/**
 * Validates and normalises a fault rule (defaults filled in, abort code names turned into numbers).
 * A rule must inject something: `abortPercent > 0` or `delayMs > 0` with `delayPercent > 0`.
 * @throws InvalidOptionsError naming the field and the bad value, e.g.
 *   `fault rule "r1": abortPercent must be a number from 0 to 100; got 150`.
 */
export function validateFaultRule(input: FaultRuleInput): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionsError(`fault rule must be an object { id, service, method?, abortPercent?, abortCode?, delayMs?, delayPercent? }; got ${show(input)}`);
  }
  const raw = input as unknown as Record<string, unknown>;
  if (typeof raw['id'] !== 'string' || !ID.test(raw['id'])) {
    throw new InvalidOptionsError(`fault rule id must be 1-64 letters, digits, ".", "_", ":" or "-"; got ${show(raw['id'])}`);
  }
  const id = raw['id'];
  const at = `fault rule ${JSON.stringify(id)}`;
  const known = new Set(['id', 'service', 'method', 'abortPercent', 'abortCode', 'delayMs', 'delayPercent', 'expiresAt']);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new InvalidOptionsError(`${at}: unknown field ${JSON.stringify(key)} (known: ${[...known].join(', ')})`);
  }
  const service = raw['service'];
  if (typeof service !== 'string' || !NAME.test(service)) {
    throw new InvalidOptionsError(`${at}: service must be a service name or "*"; got ${show(service)}`);
  }
  const method = raw['method'] ?? '*';
  if (typeof method !== 'string' || !NAME.test(method)) {
    throw new InvalidOptionsError(`${at}: method must be a method name or "*"; got ${show(method)}`);
  }
  const abortPercent = assertNumber(`${at}: abortPercent`, raw['abortPercent'] ?? 0, 0, 100);
  const delayMs = assertNumber(`${at}: delayMs`, raw['delayMs'] ?? 0, 0, MAX_FAULT_DELAY_MS, true);
  const delayPercent = assertNumber(`${at}: delayPercent`, raw['delayPercent'] ?? 100, 0, 100);
  const abortCode = parseAbortCode(at, raw['abortCode'] ?? status.UNAVAILABLE);
  const expiresAt = raw['expiresAt'] === undefined ? undefined : assertNumber(`${at}: expiresAt`, raw['expiresAt'], 0, Infinity, true);
  if (abortPercent === 0 && (delayMs === 0 || delayPercent === 0)) {
    throw new InvalidOptionsError(`${at} injects nothing: set abortPercent > 0, or delayMs > 0 with delayPercent > 0`);
  }
  const rule: FaultRule = { id, service, method, abortPercent, abortCode, delayMs, delayPercent, ...(expiresAt === undefined ? {} : { expiresAt }) };
  return Object.freeze(rule);
}

function parseAbortCode(at: string, value: unknown): number {
  if (typeof value === 'string') {
    const code = (status as unknown as Record<string, number>)[value.toUpperCase()];
    if (typeof code === 'number' && code !== status.OK) return code;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 16) {
    return value;
  }
  throw new InvalidOptionsError(`${at}: abortCode must be a gRPC status code from 1 to 16 or its name (e.g. "UNAVAILABLE"); got ${show(value)}`);
}
