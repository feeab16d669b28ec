import type { ServiceDefinition } from '@grpc/grpc-js';
import { from, isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { ServiceClient } from '../client/service-client';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import type { HandlerContext } from '../server/handler-context';
import type { ServiceHandlers } from '../server/handler.types';

/** The metadata key `@GrpcMethod` (from @nestjs/microservices) writes on a handler: its patterns. */
export const NEST_PATTERN_METADATA = 'microservices:pattern';

/** A `@GrpcMethod(service, rpc)` pattern. */
interface GrpcMethodPattern {
  readonly service?: string;
  readonly rpc?: string;
  readonly streaming?: string;
}

/**
 * The unary `@GrpcMethod` handlers of a controller, grouped by service and bound to the
 * sidecar's handler signature: the Nest method gets `(request, metadata, ctx)` (the call's
 * metadata as @nestjs/microservices gives it, then the sidecar's HandlerContext) and may return a
 * value, a promise or an Observable (its last value is the reply).
 * @throws InvalidOptionsError for a service missing from `definitions` or a streaming method.
 */
export function grpcMethodServices(instance: object, name: string, definitions: Readonly<Record<string, ServiceDefinition>>): Array<{ definition: ServiceDefinition; handlers: ServiceHandlers }> {
  const byService = new Map<string, ServiceHandlers>();
  const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(prototype)) {
    const fn = prototype[key];
    if (key === 'constructor' || typeof fn !== 'function') continue;
    const patterns = (Reflect.getMetadata(NEST_PATTERN_METADATA, fn) as GrpcMethodPattern[] | undefined) ?? [];
    for (const pattern of patterns) {
      if (typeof pattern !== 'object' || pattern === null || typeof pattern.service !== 'string' || typeof pattern.rpc !== 'string') continue;
      if (definitions[pattern.service] === undefined) {
        throw new InvalidOptionsError(`@GrpcMethod(${show(pattern.service)}) on ${name}.${key}: add its definition to SidecarModule options grpcServices (known: ${show(Object.keys(definitions))})`);
      }
      if (pattern.streaming !== undefined && pattern.streaming !== 'no_stream') {
        throw new InvalidOptionsError(`@GrpcMethod ${name}.${key}: only unary methods run behind the sidecar (got streaming ${show(pattern.streaming)}); use @SidecarHandlers for streams`);
      }
      const handlers = byService.get(pattern.service) ?? {};
      handlers[pattern.rpc] = ((request: unknown, ctx: HandlerContext) => {
        const result = (fn as (...args: unknown[]) => unknown).call(instance, request, ctx.metadata, ctx);
        return isObservable(result) ? lastValueFrom(result) : result;
      }) as ServiceHandlers[string];
      byService.set(pattern.service, handlers);
    }
  }
  return [...byService].map(([service, handlers]) => ({ definition: definitions[service], handlers }));
}

/** The `ClientGrpc` surface code written for @nestjs/microservices uses. */
export interface SidecarClientGrpc {
  /** The service's methods, each returning an Observable of the reply (as `ClientGrpc.getService`). */
  getService<T extends object>(name: string): T;
  /** Same as {@link getService}. */
  getClientByServiceName<T extends object>(name: string): T;
}

/**
 * A `ClientGrpc` look-alike backed by sidecar clients, so code written against
 * `@Inject('GREETER_PACKAGE') client: ClientGrpc` keeps working while its calls go through the
 * sidecar (discovery, retries, breakers, deadlines): provide it under the same token.
 * `clients` maps the service name used with `getService` to the sidecar client.
 */
export function sidecarClientGrpc(clients: Readonly<Record<string, ServiceClient>>): SidecarClientGrpc {
  const getService = <T extends object>(name: string): T => {
    const client = clients[name];
    if (client === undefined) throw new InvalidOptionsError(`sidecarClientGrpc: no client for service ${show(name)} (known: ${show(Object.keys(clients))})`);
    return new Proxy({} as T, {
      get: (_target, method) => {
        if (typeof method !== 'string' || method === 'then') return undefined;
        const rpc = method.charAt(0).toUpperCase() + method.slice(1);
        return (request: unknown): Observable<unknown> => from(client.call(rpc, request));
      },
    });
  };
  return { getService, getClientByServiceName: getService };
}
