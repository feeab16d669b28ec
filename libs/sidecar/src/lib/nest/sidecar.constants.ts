/** Injection token of the validated SidecarModuleOptions. */
export const SIDECAR_MODULE_OPTIONS = Symbol('failsoft:sidecar-module-options');

/** Injection token of the process's Sidecar (also injectable by its class). */
export const SIDECAR = Symbol('failsoft:sidecar');

/** Metadata key marking a provider class as the gRPC handlers of a service definition. */
export const SIDECAR_HANDLERS_METADATA = 'failsoft:sidecar-handlers';

/** Injection token of the ServiceClient for downstream `service` (see `@InjectSidecarClient`). */
export function getSidecarClientToken(service: string): string {
  return `failsoft:sidecar-client:${service}`;
}
