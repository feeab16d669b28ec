import type { Provider } from '@nestjs/common';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { Sidecar } from '../sidecar';
import { SIDECAR, SIDECAR_MODULE_OPTIONS, getSidecarClientToken } from './sidecar.constants';
import type { SidecarModuleOptions } from './sidecar.interfaces';
import { isSidecarClientDefinition, type SidecarClientDefinition, type SidecarClientRegistration } from './sidecar-client.definition';

/** The Sidecar itself (token SIDECAR and class Sidecar). */
export const sidecarProviders: Provider[] = [
  { provide: SIDECAR, useFactory: (options: SidecarModuleOptions) => new Sidecar(options), inject: [SIDECAR_MODULE_OPTIONS] },
  { provide: Sidecar, useExisting: SIDECAR },
];

/** One provider per downstream client, built from the options' `clients` entry of the same service. */
export function createClientProviders(services: readonly string[]): Provider[] {
  return services.map((service) => ({
    provide: getSidecarClientToken(service),
    useFactory: (sidecar: Sidecar, options: SidecarModuleOptions) => {
      const clientOptions = options.clients?.find((c) => c.service === service);
      if (clientOptions === undefined) {
        const declared = (options.clients ?? []).map((c) => c.service);
        throw new InvalidOptionsError(`SidecarModule: no client options for ${show(service)}; clients declared: ${show(declared)}`);
      }
      return sidecar.client(clientOptions);
    },
    inject: [SIDECAR, SIDECAR_MODULE_OPTIONS],
  }));
}

/**
 * One provider per registered definition: the TypedClient of `sidecar.client()` built from the
 * definition's settings, the registration's factory settings, then the root options' `clients`
 * entry of the same service (deployment overrides), in that order.
 */
export function createTypedClientProviders(registrations: ReadonlyArray<SidecarClientDefinition | SidecarClientRegistration>): Provider[] {
  return registrations.map((entry, index) => {
    const registration: SidecarClientRegistration = isSidecarClientDefinition(entry) ? { client: entry, useFactory: () => ({}) } : entry;
    if (!isSidecarClientDefinition(registration?.client) || typeof registration.useFactory !== 'function') {
      throw new InvalidOptionsError(`SidecarModule.forFeature: entry ${index} must be a defineSidecarClient(...) result or { client, useFactory, inject? }; got ${show(entry)}`);
    }
    const def = registration.client;
    return {
      provide: def.token,
      useFactory: async (sidecar: Sidecar, options: SidecarModuleOptions, ...deps: unknown[]) => {
        const settings = await registration.useFactory(...deps);
        const deployment = options.clients?.find((c) => c.service === def.service) ?? {};
        return sidecar.client({ ...def.settings, ...settings, ...deployment, service: def.service, definition: def.definition }).typed();
      },
      inject: [SIDECAR, SIDECAR_MODULE_OPTIONS, ...(registration.inject ?? [])],
    };
  });
}
