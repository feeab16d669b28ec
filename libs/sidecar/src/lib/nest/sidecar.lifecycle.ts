import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { InvalidOptionsError } from '../core/sidecar.error';
import type { ServiceHandlers } from '../server/handler.types';
import type { SidecarServer } from '../server/sidecar.server';
import { Sidecar } from '../sidecar';
import { SIDECAR, SIDECAR_HANDLERS_METADATA, SIDECAR_MODULE_OPTIONS } from './sidecar.constants';
import type { SidecarHandlersMetadata, SidecarModuleOptions } from './sidecar.interfaces';
import { grpcMethodServices } from './grpc-method.adapter';

/**
 * Starts the sidecar when the app boots (clients, and the gRPC server with every
 * `@SidecarHandlers` provider) and drains it when the app shuts down (enable Nest's shutdown
 * hooks so SIGTERM gets here): not ready → deregister → finish in-flight calls → close.
 */
@Injectable()
export class SidecarLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: SidecarServer;

  constructor(
    @Inject(SIDECAR) private readonly sidecar: Sidecar,
    @Inject(SIDECAR_MODULE_OPTIONS) private readonly options: SidecarModuleOptions,
    private readonly discovery: DiscoveryService,
  ) {}

  /** The gRPC server, once the app has booted with `server` options. */
  get grpcServer(): SidecarServer | undefined {
    return this.server;
  }

  /** Builds declared clients, binds handlers, starts serving and registers in discovery. */
  async onApplicationBootstrap(): Promise<void> {
    for (const client of this.options.clients ?? []) this.sidecar.client(client);
    if (this.options.server !== undefined) {
      const server = this.sidecar.server(this.options.server);
      let bound = 0;
      for (const wrapper of this.discovery.getProviders()) {
        const instance = wrapper.instance as Record<string, unknown> | undefined;
        if (instance === undefined || instance === null || wrapper.metatype === undefined || wrapper.metatype === null) continue;
        const metadata = Reflect.getMetadata(SIDECAR_HANDLERS_METADATA, wrapper.metatype) as SidecarHandlersMetadata | undefined;
        if (metadata === undefined) continue;
        server.addService(metadata.definition, bindHandlers(metadata.definition, instance, wrapper.name));
        bound++;
      }
      const grpcServices = this.options.grpcServices;
      if (grpcServices !== undefined) {
        for (const wrapper of this.discovery.getControllers()) {
          if (wrapper.instance === undefined || wrapper.instance === null) continue;
          for (const { definition, handlers } of grpcMethodServices(wrapper.instance as object, wrapper.name, grpcServices)) {
            server.addService(definition, handlers);
            bound++;
          }
        }
      }
      if (bound === 0) throw new InvalidOptionsError('SidecarModule: `server` is set but no provider is decorated with @SidecarHandlers(definition) and no controller has @GrpcMethod handlers of `grpcServices`');
      this.server = server;
      await this.sidecar.start();
      await server.start();
    } else {
      await this.sidecar.start();
    }
  }

  /** Drains and closes everything (bounded by the server's drain timeout). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sidecar.shutdown();
  }
}

function bindHandlers(definition: ServiceDefinition, instance: Record<string, unknown>, name: string): ServiceHandlers {
  const handlers: ServiceHandlers = {};
  for (const method of Object.keys(definition)) {
    const camel = method.charAt(0).toLowerCase() + method.slice(1);
    const fn = instance[method] ?? instance[camel];
    if (typeof fn !== 'function') {
      throw new InvalidOptionsError(`@SidecarHandlers provider ${name} has no method ${method} (or ${camel}) for ${definition[method].path}`);
    }
    handlers[method] = (fn as (...args: unknown[]) => unknown).bind(instance) as ServiceHandlers[string];
  }
  return handlers;
}
