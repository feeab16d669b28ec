import { ConfigurableModuleBuilder } from '@nestjs/common';
import { STATE_MODULE_OPTIONS } from './state.constants';
import type { StateModuleOptions } from './state.interfaces';

/**
 * The StateModule's forRoot / forRootAsync, built by Nest's ConfigurableModuleBuilder (as the
 * SidecarModule's): options under {@link STATE_MODULE_OPTIONS}, `isGlobal` (default false),
 * `useFactory` / `useClass` / `useExisting` (a class with `createStateOptions()`).
 */
export const {
  ConfigurableModuleClass: ConfigurableStateModule,
  OPTIONS_TYPE: STATE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: STATE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StateModuleOptions>({ moduleName: 'State', optionsInjectionToken: STATE_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createStateOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
