import { loadPackageDefinition, status, type GrpcObject, type handleServerStreamingCall, type handleUnaryCall, type Server, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { EventEmitter } from '../core/event';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertOneOf, show } from '../core/validate';

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

/** Path of the shipped `grpc.health.v1` proto (next to this file, in sources and in the built package). */
export const HEALTH_PROTO_PATH = join(__dirname, 'health.proto');

/** Full name of the health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

let healthPackage: GrpcObject | undefined;

/** The loaded `grpc.health.v1` package (cached); `loadHealthClient()` is usually what you want. */
export function loadHealthPackage(): GrpcObject {
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
 * `Check` answers the current status (NOT_FOUND for unknown names); `Watch` streams the current
 * status at once and every change after it (SERVICE_UNKNOWN for unknown names, without ending),
 * and ends cleanly when the client cancels or the service shuts down.
 * The service name `''` is the server as a whole.
 */
export class HealthService {
  /** The service definition to register. */
  readonly definition: ServiceDefinition = loadHealthDefinition();
  /** grpc-js handlers to register with the definition (see {@link addTo}). */
  readonly implementation: { Check: handleUnaryCall<HealthCheckRequest, HealthCheckResponse>; Watch: handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> };

  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<WatchCall>>();
  private readonly changed = new EventEmitter<{ service: string; status: ServingStatus }>();
  private stopped = false;

  /** Fires with every status change. */
  readonly onChange = this.changed.event;

  /** @param initial statuses to start with (default: `''` NOT_SERVING until the server is ready). */
  constructor(initial: Record<string, 'SERVING' | 'NOT_SERVING'> = { '': 'NOT_SERVING' }) {
    if (typeof initial !== 'object' || initial === null) throw new InvalidOptionsError(`health initial statuses must be an object; got ${show(initial)}`);
    for (const [name, value] of Object.entries(initial)) this.statuses.set(name, assertOneOf(`health status of ${JSON.stringify(name)}`, value, ['SERVING', 'NOT_SERVING'] as const));
    this.implementation = {
      Check: (call, callback) => {
        const current = this.statuses.get(call.request.service);
        if (current === undefined) {
          callback({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
          return;
        }
        callback(null, { status: current });
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

  private watch(call: WatchCall): void {
    const service = call.request.service;
    writeQuietly(call, this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
    if (this.stopped) {
      endQuietly(call);
      return;
    }
    let set = this.watchers.get(service);
    if (set === undefined) this.watchers.set(service, (set = new Set()));
    set.add(call);
    const forget = (): void => {
      const current = this.watchers.get(service);
      current?.delete(call);
      if (current?.size === 0) this.watchers.delete(service);
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
