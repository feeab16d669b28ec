import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { InvalidOptionsError } from '../core/sidecar.error';
import { show } from '../core/validate';
import { CallScopeInterceptor } from './call-scope.interceptor';
import { SidecarEndpointsController } from './sidecar-endpoints.controller';
import { SidecarLifecycle } from './sidecar.lifecycle';
import { ConfigurableSidecarModule, SIDECAR_OPTIONS_TYPE, type SidecarModuleAsyncOptions } from './sidecar.module-definition';
import { createClientProviders, createTypedClientProviders, sidecarProviders } from './sidecar.providers';
import type { ClientMethodMap, SidecarFeatureEntry } from './sidecar-client.definition';
import { SIDECAR, SIDECAR_MODULE_OPTIONS } from './sidecar.constants';

const interceptorProvider: Provider = { provide: APP_INTERCEPTOR, useClass: CallScopeInterceptor };

/**
 * The NestJS adapter of @failsoft/sidecar (global by default: `isGlobal`):
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
export class SidecarModule extends ConfigurableSidecarModule {
  /** Configures the sidecar with static options. */
  static override forRoot(options: typeof SIDECAR_OPTIONS_TYPE): DynamicModule {
    const clients = (options.clients ?? []).map((c) => c.service);
    return SidecarModule.complete(super.forRoot(options), clients, options.httpEndpoints ?? true);
  }

  /** Configures the sidecar from async options: exactly one of useFactory, useClass, useExisting. */
  static override forRootAsync(options: SidecarModuleAsyncOptions): DynamicModule {
    const ways = [options.useFactory, options.useClass, options.useExisting].filter((w) => w !== undefined);
    if (ways.length !== 1) {
      throw new InvalidOptionsError(`SidecarModule.forRootAsync needs exactly one of useFactory, useClass, useExisting; got ${ways.length}`);
    }
    if (options.clients !== undefined && (!Array.isArray(options.clients) || options.clients.some((c) => typeof c !== 'string'))) {
      throw new InvalidOptionsError(`SidecarModule.forRootAsync clients must be the names of the downstream services; got ${show(options.clients)}`);
    }
    const { clients, httpEndpoints, ...rest } = options;
    return SidecarModule.complete(super.forRootAsync(rest), clients ?? [], httpEndpoints ?? true);
  }

  /**
   * Registers typed clients for the importing module: `SidecarModule.forFeature([GreeterClient])`
   * (settings from the definition) or `[{ client: GreeterClient, useFactory, inject }]` (settings
   * known at boot). Inject each with `@InjectSidecarClient(GreeterClient)`. Needs the root
   * `SidecarModule.forRoot/forRootAsync` (global by default). Each entry is typed by its own
   * client: a factory's `idempotentMethods` takes that client's RPC names only (a misspelt one is
   * a compile error, as in `defineSidecarClient`).
   */
  static forFeature<const M extends readonly ClientMethodMap[]>(clients: readonly [...{ [I in keyof M]: SidecarFeatureEntry<M[I]> }]): DynamicModule {
    if (!Array.isArray(clients)) throw new InvalidOptionsError(`SidecarModule.forFeature needs an array of client definitions; got ${show(clients)}`);
    const providers = createTypedClientProviders(clients);
    return { module: SidecarModule, providers, exports: providers.map((p) => (p as { provide: string }).provide) };
  }

  private static complete(definition: DynamicModule, clients: readonly string[], httpEndpoints: boolean): DynamicModule {
    const clientProviders = createClientProviders(clients);
    return {
      ...definition,
      imports: [DiscoveryModule, ...(definition.imports ?? [])],
      controllers: httpEndpoints ? [SidecarEndpointsController] : [],
      providers: [...(definition.providers ?? []), ...sidecarProviders, ...clientProviders, SidecarLifecycle, interceptorProvider],
      exports: [SIDECAR, SIDECAR_MODULE_OPTIONS, ...sidecarProviders.map((p) => (p as { provide: unknown }).provide as string), ...clientProviders.map((p) => (p as { provide: string }).provide), SidecarLifecycle],
    };
  }
}
