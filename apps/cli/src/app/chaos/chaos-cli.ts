import { UsageError, USAGE_EXIT_CODE, type FlagSpec, type ParsedFlags } from '../args';
import type { CliContext } from '../commands/command';
import { controlTargetFromRunState, NoPlatformError } from '../control/control.client';
import { failsoftPaths, STATE_DIR_ENV } from '../run-state';
import { SERVICE_NAMES } from '../topology';
import { isChaosError } from './chaos.error';
import type { ChaosInstance, ChaosStatus, ChaosTarget } from './chaos-target';
import { composeChaosTarget, DockerUnavailableError } from './compose-chaos-target';

/** The `--compose` flag of every chaos command. */
export const COMPOSE_FLAG: FlagSpec = { name: 'compose', type: 'boolean', description: 'act on the `docker compose` platform of this folder instead of the local one (npm start)' };

/** Services whose instances the chaos commands name (the front door is `haproxy` locally, `front-door` in compose). */
export const CHAOS_SERVICE_NAMES: readonly string[] = [...SERVICE_NAMES, 'haproxy', 'front-door'];

/** The platform a chaos command acts on: `docker compose` with `--compose`, else the local one (its control channel). */
export function chaosTargetFor(flags: ParsedFlags, ctx: CliContext): ChaosTarget {
  if (flags['compose'] === true) return composeChaosTarget({ cwd: ctx.workspace, env: ctx.env });
  return controlTargetFromRunState(failsoftPaths(ctx.workspace, ctx.env[STATE_DIR_ENV]));
}

/** `12:03:04.567` (UTC), for action lines. */
export function stamp(date = new Date()): string {
  return date.toISOString().slice(11, 23);
}

/**
 * Runs a chaos command and turns its errors into exit codes: a usage mistake (bad argument, or an
 * unknown service, instance, sentinel or rule: nothing was done) → 2, no platform → 1 with how to
 * start one, anything else → 1 with the platform's message.
 */
export async function runChaos(ctx: CliContext, command: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.io.err(`${error.message}\nRun 'failsoft ${command.split(' ')[0]} --help' for usage.`);
      return USAGE_EXIT_CODE;
    }
    if (error instanceof NoPlatformError || error instanceof DockerUnavailableError) {
      ctx.io.err(`failsoft ${command}: ${error.message}`);
      return 1;
    }
    if (isChaosError(error, 'NOT_FOUND') || isChaosError(error, 'BAD_REQUEST')) {
      ctx.io.err(`failsoft ${command}: ${error.message}\nNothing was changed. Run 'failsoft ${command.split(' ')[0]} --help' for usage.`);
      return USAGE_EXIT_CODE;
    }
    ctx.io.err(`failsoft ${command}: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

/** What a `<service>[/<instance>]` argument names. */
export interface ResolvedTarget {
  service: string;
  /** The instances named (every instance of the service when `all`). */
  ids: string[];
  /** True when the whole service was named (`likes`). */
  all: boolean;
}

/**
 * Checks the shape of a `<service>[/<instance>]` argument before any platform is asked:
 * `likes`, `likes/likes-1`, `likes/1`, `likes-1`, `haproxy`. @throws UsageError naming the services.
 */
export function checkTargetSyntax(command: string, spec: string | undefined): void {
  if (spec === undefined || spec === '') throw new UsageError(`${command}: missing <service>[/<instance>] (e.g. likes, likes/likes-1, likes-1)`);
  const [service, instance, extra] = spec.split('/');
  const serviceOf = (word: string): string | undefined => CHAOS_SERVICE_NAMES.find((s) => word === s || new RegExp(`^${s}-\\d+$`).test(word));
  if (extra !== undefined || !serviceOf(service) || (instance !== undefined && !/^(\d+|[a-z]+-\d+)$/.test(instance))) {
    throw new UsageError(`${command}: unknown service or instance ${JSON.stringify(spec)}; services are ${CHAOS_SERVICE_NAMES.join(', ')} (instances like likes-1, or likes/likes-1)`);
  }
}

/**
 * Resolves `<service>[/<instance>]` against a platform's status. @throws UsageError naming what
 * exists when the service or instance is unknown (so nothing is done).
 */
export function resolveTarget(command: string, spec: string, status: ChaosStatus): ResolvedTarget {
  checkTargetSyntax(command, spec);
  const services = [...new Set(status.instances.map((i) => i.service))];
  const known = (): string => `the platform runs ${services.map((s) => `${s} (${status.instances.filter((i) => i.service === s).map((i) => i.id).join(', ')})`).join(', ')}`;
  const [service, instance] = spec.split('/');
  if (instance !== undefined) {
    const id = /^\d+$/.test(instance) ? `${service}-${instance}` : instance;
    const found = status.instances.find((i) => i.id === id && i.service === service);
    if (!found) throw new UsageError(`${command}: no instance ${JSON.stringify(id)} of service ${JSON.stringify(service)}; ${known()}`);
    return { service, ids: [id], all: false };
  }
  const byId = status.instances.find((i) => i.id === service);
  if (byId) return { service: byId.service, ids: [byId.id], all: false };
  const ids = status.instances.filter((i) => i.service === service).map((i) => i.id);
  if (ids.length === 0) throw new UsageError(`${command}: unknown service or instance ${JSON.stringify(spec)}; ${known()}`);
  return { service, ids, all: true };
}

/** Instances that count as live: running (not paused, not held down) and not failing their readiness probe. */
export function liveInstances(instances: readonly ChaosInstance[], service?: string): ChaosInstance[] {
  return instances.filter((i) => i.state === 'running' && i.ready !== false && (service === undefined || i.service === service));
}

/** Picks one element at random (`random` in [0, 1)). */
export function pickRandom<T>(items: readonly T[], random: () => number = Math.random): T | undefined {
  return items.length === 0 ? undefined : items[Math.min(items.length - 1, Math.floor(random() * items.length))];
}
