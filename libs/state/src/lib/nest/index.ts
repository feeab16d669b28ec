export { STATE_MODULE_OPTIONS, STATE_REDIS } from './state.constants';
export { type StateModuleOptions, type StateOptionsFactory, type StateModuleAsyncOptions } from './state.interfaces';
export { RedisHealthIndicator, type RedisHealthOptions, type RedisHealth } from './state.health';
export { StateModule } from './state.module';
