import { Inject, SetMetadata } from '@nestjs/common';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { SIDECAR, SIDECAR_HANDLERS_METADATA, getSidecarClientToken } from './sidecar.constants';

/**
 * Marks a provider as the implementation of a gRPC service: its methods named like the
 * definition's methods (`Like` or `like`) become the handlers, `(request, ctx) => Promise<reply>`.
 * The module adds it to the sidecar's server when the app boots.
 */
export function SidecarHandlers(definition: ServiceDefinition): ClassDecorator {
  return SetMetadata(SIDECAR_HANDLERS_METADATA, { definition });
}

/** Injects the ServiceClient of downstream `service` (declared in the module's `clients`). */
export function InjectSidecarClient(service: string): ParameterDecorator & PropertyDecorator {
  return Inject(getSidecarClientToken(service));
}

/** Injects the process's Sidecar. */
export function InjectSidecar(): ParameterDecorator & PropertyDecorator {
  return Inject(SIDECAR);
}
