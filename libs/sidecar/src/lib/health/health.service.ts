import { loadPackageDefinition, status, type GrpcObject, type handleServerStreamingCall, type handleUnaryCall, type Server, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertOneOf, show } from '../core/validate';
import { resolveHealthLimits, type HealthLimits } from './health-limits';

/** Status values of `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** `grpc.health.v1.HealthCheckRequest`. */
export interface HealthCheckRequest {
  /** Service name; `''` = the server as a whole. */
  service: string;
}

/** `grpc.health.v1.HealthCheckResponse` (enums as strings). */
export interface HealthCheckResponse {
  /** The serving status. */
  status: ServingStatus;
}

/** `grpc.health.v1.HealthListResponse`: every known service and its status. */
export interface HealthListResponse {
  /** Status of each service name (`''` = the server as a whole). */
  statuses: Record<string, HealthCheckResponse>;
}

/** The most services `List` answers with (grpc.health.v1: beyond it, RESOURCE_EXHAUSTED). */
export const HEALTH_LIST_MAX = 100;

/** Where upstream's `grpc/health/v1/health.proto` sits relative to a proto root. */
const HEALTH_PROTO_FILE = join('grpc', 'health', 'v1', 'health.proto');

/**
 * Where the health proto may be, first match wins. The one copy in the repo is upstream's, kept
 * by the contracts library (libs/contracts/src/proto, checked byte for byte against grpc-proto):
 * `tools/build.mjs` copies it into the built package under `proto/` next to this file, and from
 * sources (jest, ts-node) it is read where it lives.
 * @param dir the folder of this module (`__dirname`).
 */
export function healthProtoCandidates(dir: string): string[] {
  return [join(dir, 'proto', HEALTH_PROTO_FILE), join(dir, '..', '..', '..', '..', 'contracts', 'src', 'proto', HEALTH_PROTO_FILE)];
}

/** The first of `healthProtoCandidates(dir)` that exists, or undefined. */
export function resolveHealthProtoPath(dir: string): string | undefined {
  return healthProtoCandidates(dir).find((candidate) => existsSync(candidate));
}

/**
 * Path of the `grpc.health.v1` proto loaded at run time: `proto/grpc/health/v1/health.proto` next
 * to this file in the built package, libs/contracts' copy when running from sources.
 */
export const HEALTH_PROTO_PATH: string = resolveHealthProtoPath(__dirname) ?? healthProtoCandidates(__dirname)[0];

/** Full name of the health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

let healthPackage: GrpcObject | undefined;

/** The loaded `grpc.health.v1` package (cached); `loadHealthClient()` is usually what you want. */
export function loadHealthPackage(): GrpcObject {
  if (healthPackage === undefined && !existsSync(HEALTH_PROTO_PATH)) {
    throw new Error(
      `@failsoft/sidecar: grpc/health/v1/health.proto not found (looked in ${healthProtoCandidates(__dirname).join(', ')}); ` +
        'the build copies it from libs/contracts (tools/build.mjs): rebuild the package',
    );
  }
  healthPackage ??= loadPackageDefinition(loadSync(HEALTH_PROTO_PATH, { keepCase: true, enums: String, defaults: true, oneofs: true }));
  return healthPackage;
}

/** The client constructor of `grpc.health.v1.Health` (for probes, the CLI and tests). */
export function loadHealthClient(): ServiceClientConstructor {
  const grpc = loadHealthPackage()['grpc'] as GrpcObject;
  const health = grpc['health'] as GrpcObject;
  return (health['v1'] as GrpcObject)['Health'] as ServiceClientConstructor;
}

/** The service definition of `grpc.health.v1.Health`. */
export function loadHealthDefinition(): ServiceDefinition {
  return loadHealthClient().service;
}

type WatchCall = Parameters<handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse>>[0];

/**
 * The standard gRPC health service (`grpc.health.v1.Health`):
 * `Check` answers the current status (NOT_FOUND for unknown names); `List` answers every known
 * name and its status (RESOURCE_EXHAUSTED beyond HEALTH_LIST_MAX names); `Watch` streams the current
 * status at once and every change after it (SERVICE_UNKNOWN for unknown names, without ending),
 * and ends cleanly when the client cancels or the service shuts down.
 * The service name `''` is the server as a whole. Anyone who reaches the port may call it, so it
 * is capped ({@link HealthLimits}): a name longer than `maxNameLength` is INVALID_ARGUMENT, a
 * Watch beyond `maxWatches` open streams (or `maxWatchesPerConnection` on one connection) is
 * RESOURCE_EXHAUSTED.
 */
export class HealthService {
  /** The service definition to register. */
  readonly definition: ServiceDefinition = loadHealthDefinition();
  /** grpc-js handlers to register with the definition (see {@link addTo}). */
  readonly implementation: {
    Check: handleUnaryCall<HealthCheckRequest, HealthCheckResponse>;
    List: handleUnaryCall<Record<string, never>, HealthListResponse>;
    Watch: handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse>;
  };

  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<WatchCall>>();
  private readonly perConnection = new Map<string, number>();
  private readonly limits: HealthLimits;
  private watching = 0;
  private readonly changed = new EventEmitter<{ service: string; status: ServingStatus }>();
  private stopped = false;

  /** Fires with every status change. */
  readonly onChange = this.changed.event;

  /**
   * @param initial statuses to start with (default: `''` NOT_SERVING until the server is ready).
   * @param limits caps of names and Watch streams (defaults: DEFAULT_HEALTH_LIMITS).
   */
  constructor(initial: Record<string, 'SERVING' | 'NOT_SERVING'> = { '': 'NOT_SERVING' }, limits?: Partial<HealthLimits>) {
    this.limits = resolveHealthLimits(limits);
    if (typeof initial !== 'object' || initial === null) throw new InvalidOptionsError(`health initial statuses must be an object; got ${show(initial)}`);
    for (const [name, value] of Object.entries(initial)) this.statuses.set(name, assertOneOf(`health status of ${JSON.stringify(name)}`, value, ['SERVING', 'NOT_SERVING'] as const));
    this.implementation = {
      Check: (call, callback) => {
        if (call.request.service.length > this.limits.maxNameLength) {
          callback({ code: status.INVALID_ARGUMENT, details: this.tooLong(call.request.service) });
          return;
        }
        const current = this.statuses.get(call.request.service);
        if (current === undefined) {
          callback({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
          return;
        }
        callback(null, { status: current });
      },
      List: (_call, callback) => {
        if (this.statuses.size > HEALTH_LIST_MAX) {
          callback({ code: status.RESOURCE_EXHAUSTED, details: `${this.statuses.size} health services known; List answers at most ${HEALTH_LIST_MAX}` });
          return;
        }
        callback(null, { statuses: Object.fromEntries([...this.statuses].map(([name, value]) => [name, { status: value }])) });
      },
      Watch: (call) => this.watch(call),
    };
  }

  /** Sets the status of `service` (`''` = the whole server); watchers see the change at once. Ignored after shutdown. */
  setStatus(service: string, value: 'SERVING' | 'NOT_SERVING'): void {
    if (typeof service !== 'string') throw new InvalidOptionsError(`health service name must be a string; got ${show(service)}`);
    assertOneOf('health status', value, ['SERVING', 'NOT_SERVING'] as const);
    if (this.stopped) return;
    this.apply(service, value);
  }

  /** The status of `service`, or `undefined` when unknown. */
  getStatus(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Every known service and its status. */
  statusesSnapshot(): Record<string, ServingStatus> {
    return Object.fromEntries(this.statuses);
  }

  /** Number of open Watch streams. */
  get watchCount(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }

  /** Registers the service on a grpc-js server. */
  addTo(server: Server): void {
    server.addService(this.definition, this.implementation);
  }

  /**
   * Marks every service NOT_SERVING (watchers are told), then ends every Watch stream; later
   * status changes are ignored and new Watch calls get the final status and end at once.
   */
  shutdown(): void {
    if (this.stopped) return;
    for (const name of this.statuses.keys()) this.apply(name, 'NOT_SERVING');
    this.stopped = true;
    for (const set of this.watchers.values()) {
      for (const call of set) endQuietly(call);
    }
    this.watchers.clear();
    this.perConnection.clear();
    this.watching = 0;
  }

  private apply(service: string, value: ServingStatus): void {
    if (this.statuses.get(service) === value) return;
    this.statuses.set(service, value);
    const set = this.watchers.get(service);
    if (set !== undefined) {
      for (const call of set) writeQuietly(call, value);
    }
    this.changed.emit({ service, status: value });
  }

  private tooLong(name: string): string {
    return `health service name is ${name.length} characters long; at most ${this.limits.maxNameLength}`;
  }

  /** The reason to refuse a new Watch, or undefined. */
  private watchRefusal(service: string, connection: string): { code: number; details: string } | undefined {
    if (service.length > this.limits.maxNameLength) return { code: status.INVALID_ARGUMENT, details: this.tooLong(service) };
    if (this.watching >= this.limits.maxWatches) return { code: status.RESOURCE_EXHAUSTED, details: `too many health Watch streams (${this.limits.maxWatches} open)` };
    if ((this.perConnection.get(connection) ?? 0) >= this.limits.maxWatchesPerConnection) {
      return { code: status.RESOURCE_EXHAUSTED, details: `too many health Watch streams on this connection (${this.limits.maxWatchesPerConnection} open)` };
    }
    return undefined;
  }

  private watch(call: WatchCall): void {
    const service = call.request.service;
    const connection = call.getPeer();
    const refusal = this.stopped ? undefined : this.watchRefusal(service, connection);
    if (refusal !== undefined) {
      call.emit('error', refusal);
      return;
    }
    writeQuietly(call, this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
    if (this.stopped) {
      endQuietly(call);
      return;
    }
    let set = this.watchers.get(service);
    if (set === undefined) this.watchers.set(service, (set = new Set()));
    set.add(call);
    this.watching += 1;
    this.perConnection.set(connection, (this.perConnection.get(connection) ?? 0) + 1);
    const forget = (): void => {
      const current = this.watchers.get(service);
      if (current?.delete(call) !== true) return;
      if (current.size === 0) this.watchers.delete(service);
      this.watching -= 1;
      const left = (this.perConnection.get(connection) ?? 1) - 1;
      if (left === 0) this.perConnection.delete(connection);
      else this.perConnection.set(connection, left);
    };
    call.once('cancelled', forget);
    call.once('close', forget);
    call.once('error', forget);
  }
}

function writeQuietly(call: WatchCall, value: ServingStatus): void {
  if (call.cancelled || call.writableEnded) return;
  try {
    call.write({ status: value });
  } catch {
    // the client went away; the cancelled handler cleans up
  }
}

function endQuietly(call: WatchCall): void {
  if (call.cancelled || call.writableEnded) return;
  try {
    call.end();
  } catch {
    // already closed
  }
}
