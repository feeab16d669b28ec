import { Inject, SetMetadata } from '@nestjs/common';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { SIDECAR, SIDECAR_HANDLERS_METADATA, getSidecarClientToken } from './sidecar.constants';
import { isSidecarClientDefinition, type SidecarClientDefinition } from './sidecar-client.definition';

/**
 * Marks a provider as the implementation of a gRPC service: its methods named like the
 * definition's methods (`Like` or `like`) become the handlers, `(request, ctx) => Promise<reply>`.
 * The module adds it to the sidecar's server when the app boots.
 */
export function SidecarHandlers(definition: ServiceDefinition): ClassDecorator {
  return SetMetadata(SIDECAR_HANDLERS_METADATA, { definition });
}

/**
 * Injects a downstream client: given a definition (`defineSidecarClient`, registered with
 * `SidecarModule.forFeature`), its TypedClient; given a service name, the untyped ServiceClient
 * declared in the root module's `clients`.
 */
export function InjectSidecarClient(client: SidecarClientDefinition | string): ParameterDecorator & PropertyDecorator {
  return Inject(isSidecarClientDefinition(client) ? client.token : getSidecarClientToken(client));
}

/** Injects the process's Sidecar. */
export function InjectSidecar(): ParameterDecorator & PropertyDecorator {
  return Inject(SIDECAR);
}
