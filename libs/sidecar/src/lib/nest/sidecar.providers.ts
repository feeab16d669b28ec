import type { Provider } from '@nestjs/common';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { Sidecar } from '../sidecar';
import { SIDECAR, SIDECAR_MODULE_OPTIONS, getSidecarClientToken } from './sidecar.constants';
import type { SidecarModuleAsyncOptions, SidecarModuleOptions, SidecarOptionsFactory } from './sidecar.interfaces';

/** The options provider of `forRoot`. */
export function createOptionsProvider(options: SidecarModuleOptions): Provider {
  return { provide: SIDECAR_MODULE_OPTIONS, useValue: options };
}

/** The options providers of `forRootAsync` (useFactory, useClass or useExisting). */
export function createAsyncOptionsProviders(options: SidecarModuleAsyncOptions): Provider[] {
  if (options.useFactory !== undefined) {
    return [{ provide: SIDECAR_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factoryClass = options.useClass ?? options.useExisting;
  if (factoryClass === undefined) {
    throw new InvalidOptionsError('SidecarModule.forRootAsync needs one of useFactory, useClass or useExisting; got none');
  }
  const providers: Provider[] = [
    {
      provide: SIDECAR_MODULE_OPTIONS,
      useFactory: (factory: SidecarOptionsFactory) => factory.createSidecarOptions(),
      inject: [factoryClass],
    },
  ];
  if (options.useClass !== undefined) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}

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
