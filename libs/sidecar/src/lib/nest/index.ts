export { LivenessController } from './liveness.controller';
export { bootstrapService, type BootstrapOptions } from './bootstrap';
