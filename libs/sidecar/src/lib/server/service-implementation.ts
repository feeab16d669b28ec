import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertObject, show } from '../core/validate';
import type { ServerCallRunner } from './call-runner';
import type { ServerStreamHandler, ServiceHandlers, UnaryHandler } from './handler.types';

/** A grpc-js implementation of one service and its full name (e.g. `failsoft.likes.v1.Likes`). */
export interface BuiltService {
  readonly fullName: string;
  readonly implementation: UntypedServiceImplementation;
}

/**
 * Checks `handlers` against `definition` and builds the grpc-js implementation, every method
 * going through `runner`. Methods without a handler are left out (grpc-js answers UNIMPLEMENTED).
 * @throws InvalidOptionsError for unknown method names, non-function handlers or client-streaming methods.
 */
export function buildServiceImplementation(definition: ServiceDefinition, handlers: ServiceHandlers, runner: ServerCallRunner): BuiltService {
  assertObject('addService definition', definition);
  assertObject('addService handlers', handlers);
  const methods = Object.entries(definition);
  if (methods.length === 0) throw new InvalidOptionsError('addService definition has no methods');
  const byName = handlers as Record<string, unknown>;
  const known = new Set<string>();
  const implementation: UntypedServiceImplementation = {};
  let fullName = '';
  for (const [name, method] of methods) {
    known.add(name);
    if (method.originalName !== undefined) known.add(method.originalName);
    fullName = method.path.slice(1, method.path.lastIndexOf('/'));
    const handler = byName[name] ?? (method.originalName === undefined ? undefined : byName[method.originalName]);
    if (handler === undefined) continue;
    if (typeof handler !== 'function') throw new InvalidOptionsError(`handler ${fullName}/${name} must be a function; got ${show(handler)}`);
    if (method.requestStream) throw new InvalidOptionsError(`${method.path} is client-streaming, which SidecarServer does not support; only unary and server-streaming methods`);
    const info = { name, path: method.path };
    implementation[name] = method.responseStream
      ? runner.streaming(info, handler.bind(handlers) as ServerStreamHandler)
      : runner.unary(info, handler.bind(handlers) as UnaryHandler);
  }
  for (const key of Object.keys(handlers)) {
    if (!known.has(key)) throw new InvalidOptionsError(`addService handlers has ${JSON.stringify(key)}, which is not a method of ${fullName} (methods: ${methods.map(([n]) => n).join(', ')})`);
  }
  return { fullName, implementation };
}
