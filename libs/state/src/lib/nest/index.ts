export * from './state.constants';
export * from './state.interfaces';
export * from './state.health';
export * from './state.providers';
export * from './state.module';
