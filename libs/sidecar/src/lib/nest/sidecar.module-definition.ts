import { ConfigurableModuleBuilder } from '@nestjs/common';
import { SIDECAR_MODULE_OPTIONS } from './sidecar.constants';
import type { SidecarModuleOptions } from './sidecar.interfaces';

/** Module-level settings given next to the options (forRoot) or the factory (forRootAsync). */
export interface SidecarModuleExtras {
  /** Register the module globally (default true). */
  readonly isGlobal?: boolean;
  /** Serve `/livez`, `/readyz`, `/metrics` and `/snapshot` from the Nest HTTP app (default true). */
  readonly httpEndpoints?: boolean;
  /**
   * forRootAsync: names of the downstream services whose clients will be injected (tokens must be
   * known before the async options exist; each needs an entry in the resolved options' `clients`).
   */
  readonly clients?: readonly string[];
}

/**
 * The SidecarModule's forRoot / forRootAsync, built by Nest's ConfigurableModuleBuilder (as the
 * StateModule's): options under {@link SIDECAR_MODULE_OPTIONS}, `isGlobal` (default true),
 * `useFactory` / `useClass` / `useExisting` (a class with `createSidecarOptions()`).
 */
export const {
  ConfigurableModuleClass: ConfigurableSidecarModule,
  OPTIONS_TYPE: SIDECAR_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SIDECAR_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SidecarModuleOptions>({ moduleName: 'Sidecar', optionsInjectionToken: SIDECAR_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSidecarOptions')
  .setExtras<Pick<SidecarModuleExtras, 'isGlobal'>>({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Options of `SidecarModule.forRootAsync`: exactly one of useFactory (+ inject), useClass, useExisting; imports; the extras. */
export type SidecarModuleAsyncOptions = typeof SIDECAR_ASYNC_OPTIONS_TYPE & SidecarModuleExtras;
