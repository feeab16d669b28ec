import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { CallScopeInterceptor } from './call-scope.interceptor';
import { SidecarEndpointsController } from './sidecar-endpoints.controller';
import { SidecarLifecycle } from './sidecar.lifecycle';
import { createAsyncOptionsProviders, createClientProviders, createOptionsProvider, sidecarProviders } from './sidecar.providers';
import { SIDECAR, SIDECAR_MODULE_OPTIONS } from './sidecar.constants';
import type { SidecarModuleAsyncOptions, SidecarModuleOptions } from './sidecar.interfaces';

const interceptorProvider: Provider = { provide: APP_INTERCEPTOR, useClass: CallScopeInterceptor };

/**
 * The NestJS adapter of @failsoft/sidecar (global by default):
 * - provides the `Sidecar` (inject the class or `@InjectSidecar()`),
 * - one `ServiceClient` per declared downstream (`@InjectSidecarClient('likes')`),
 * - serves gRPC with every `@SidecarHandlers(definition)` provider when `server` is set,
 * - runs HTTP handlers in a call scope (deadline, trace, cancellation for downstream calls),
 * - exposes `/livez`, `/readyz`, `/metrics`, `/snapshot` (unless `httpEndpoints: false`),
 * - drains on shutdown: start the app with `bootstrapService` so that SIGTERM first reports not
 *   ready and finishes the HTTP requests, then drains the sidecar (Nest's `enableShutdownHooks()`
 *   alone closes the sidecar's clients while the HTTP server still serves).
 */
@Module({})
export class SidecarModule {
  /** Configures the sidecar with static options. */
  static forRoot(options: SidecarModuleOptions): DynamicModule {
    const clients = (options.clients ?? []).map((c) => c.service);
    return SidecarModule.build([createOptionsProvider(options)], clients, options.httpEndpoints ?? true, true, []);
  }

  /** Configures the sidecar from async options (useFactory / useClass / useExisting). */
  static forRootAsync(options: SidecarModuleAsyncOptions): DynamicModule {
    return SidecarModule.build(createAsyncOptionsProviders(options), options.clients ?? [], options.httpEndpoints ?? true, options.isGlobal ?? true, options.imports ?? []);
  }

  private static build(optionProviders: Provider[], clients: readonly string[], httpEndpoints: boolean, global: boolean, imports: DynamicModule['imports'] = []): DynamicModule {
    const clientProviders = createClientProviders(clients);
    return {
      module: SidecarModule,
      global,
      imports: [DiscoveryModule, ...imports],
      controllers: httpEndpoints ? [SidecarEndpointsController] : [],
      providers: [...optionProviders, ...sidecarProviders, ...clientProviders, SidecarLifecycle, interceptorProvider],
      exports: [SIDECAR, SIDECAR_MODULE_OPTIONS, ...sidecarProviders.map((p) => (p as { provide: unknown }).provide as string), ...clientProviders.map((p) => (p as { provide: string }).provide), SidecarLifecycle],
    };
  }
}
