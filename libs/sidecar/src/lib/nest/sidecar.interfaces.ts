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
  /**
   * Interop with @nestjs/microservices: the definitions of the services that controllers implement
   * with `@GrpcMethod('Greeter')`, by that name. Their unary methods are served by the sidecar's
   * server (behind its policies: auth, deadlines, shedding, drain) instead of Nest's gRPC transport.
   */
  readonly grpcServices?: Readonly<Record<string, ServiceDefinition>>;
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

/** What `@SidecarHandlers` records on a provider class. */
export interface SidecarHandlersMetadata {
  /** The service definition the class implements. */
  readonly definition: ServiceDefinition;
}
