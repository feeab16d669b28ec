import type { ModuleMetadata, Type } from '@nestjs/common';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { SidecarClientOptions, SidecarOptions, SidecarServeOptions } from '../sidecar';

/** Options of SidecarModule: the Sidecar's own options plus the clients and server to build. */
export interface SidecarModuleOptions extends SidecarOptions {
  /** Downstream clients to create; each is injectable with `@InjectSidecarClient(service)`. */
  readonly clients?: readonly SidecarClientOptions[];
  /**
   * Serve gRPC: the server is started (and registered in discovery) when the app boots, with
   * every provider decorated by `@SidecarHandlers(definition)` added to it; it drains on shutdown.
   */
  readonly server?: SidecarServeOptions;
  /** Serve `/readyz`, `/metrics` and `/snapshot` (and `/livez`) from the Nest HTTP app (default true). */
  readonly httpEndpoints?: boolean;
  /** Deadline of an HTTP request (and of the gRPC calls it makes) when the client sends none, ms (default 10000). */
  readonly httpDeadlineMs?: number;
}

/** A class that builds SidecarModuleOptions (for `forRootAsync({ useClass | useExisting })`). */
export interface SidecarOptionsFactory {
  /** Returns the module options (may be async). */
  createSidecarOptions(): SidecarModuleOptions | Promise<SidecarModuleOptions>;
}

/** Options of `SidecarModule.forRootAsync`. */
export interface SidecarModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options from injected dependencies. */
  readonly useFactory?: (...args: any[]) => SidecarModuleOptions | Promise<SidecarModuleOptions>;
  /** Dependencies injected into `useFactory`. */
  readonly inject?: any[];
  /** A SidecarOptionsFactory class the module instantiates. */
  readonly useClass?: Type<SidecarOptionsFactory>;
  /** An existing SidecarOptionsFactory provider (from `imports`). */
  readonly useExisting?: Type<SidecarOptionsFactory>;
  /**
   * Names of the downstream services whose clients will be injected. Injection tokens must be
   * known when the module is declared, before the async options exist; every name listed here
   * must have an entry in the resolved options' `clients`.
   */
  readonly clients?: readonly string[];
  /** Serve the HTTP endpoints (default true). */
  readonly httpEndpoints?: boolean;
  /** Register the module globally (default true). */
  readonly isGlobal?: boolean;
}

/** What `@SidecarHandlers` records on a provider class. */
export interface SidecarHandlersMetadata {
  /** The service definition the class implements. */
  readonly definition: ServiceDefinition;
}
