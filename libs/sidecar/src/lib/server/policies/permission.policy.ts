import { status } from '@grpc/grpc-js';
import { InvalidOptionsError } from '../../core/sidecar.error';
import { show } from '../../core/validate';
import type { IncomingCall, Refusal, ServerPolicy } from '../server-policy';

/**
 * Per-method caller permissions: method name (as in the .proto, e.g. `CreatePost`) → the callers
 * (service identities) allowed to call it. A method that is not listed is refused to every caller.
 */
export type CallerPermissions = Readonly<Record<string, readonly string[]>>;

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Checks and copies caller permissions (frozen sets per method).
 * @throws InvalidOptionsError naming the bad method or caller.
 */
export function resolvePermissions(permissions: unknown, name = 'server.permissions'): ReadonlyMap<string, ReadonlySet<string>> {
  if (typeof permissions !== 'object' || permissions === null || Array.isArray(permissions)) {
    throw new InvalidOptionsError(`${name} must map method names to arrays of caller names, e.g. { CreatePost: ['gateway'] }; got ${show(permissions)}`);
  }
  const resolved = new Map<string, ReadonlySet<string>>();
  for (const [method, callers] of Object.entries(permissions as Record<string, unknown>)) {
    if (!NAME.test(method)) throw new InvalidOptionsError(`${name} has method ${JSON.stringify(method)}; a method name is 1-128 letters, digits or . _ -`);
    if (!Array.isArray(callers)) throw new InvalidOptionsError(`${name}.${method} must be an array of caller names; got ${show(callers)}`);
    for (const caller of callers) {
      if (typeof caller !== 'string' || !NAME.test(caller)) throw new InvalidOptionsError(`${name}.${method} has caller ${show(caller)}; a caller name is 1-128 letters, digits or . _ -`);
    }
    resolved.set(method, new Set(callers as string[]));
  }
  return resolved;
}

/**
 * Refuses a call whose authenticated caller may not call its method: PERMISSION_DENIED with the
 * `x-failsoft-error: PERMISSION_DENIED` trailer, the handler never runs. Runs after the
 * authentication policy (which sets `call.caller`); the early-admission interceptor runs it
 * before the request body is read.
 */
export class PermissionPolicy implements ServerPolicy {
  readonly name = 'permission';
  /** Calls refused so far. */
  refused = 0;
  private readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;

  /** @param permissions who may call what; @param service the serving service (named in refusals). @throws InvalidOptionsError on bad permissions. */
  constructor(
    permissions: CallerPermissions,
    private readonly service: string,
  ) {
    this.allowed = resolvePermissions(permissions);
  }

  /** Whether `caller` may call `method`. */
  allows(caller: string, method: string): boolean {
    return this.allowed.get(method)?.has(caller) === true;
  }

  /** The refusal for `caller` calling `method`, or undefined when it may. */
  check(caller: string, method: string): Refusal | undefined {
    if (this.allows(caller, method)) return undefined;
    this.refused += 1;
    const callers = this.allowed.get(method);
    const who = callers === undefined || callers.size === 0 ? 'no caller may call it' : `allowed: ${[...callers].join(', ')}`;
    return { code: status.PERMISSION_DENIED, details: `caller ${JSON.stringify(caller)} may not call ${this.service}.${method} (${who})`, reason: 'PERMISSION_DENIED' };
  }

  admit(call: IncomingCall): Refusal | undefined {
    return this.check(call.caller, call.method.name);
  }
}
