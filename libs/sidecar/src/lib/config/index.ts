export { ConfigError, isConfigError, env, readEnvConfig, type EnvField, type EnvConfig } from './env-config';
export { serviceEnvSchema, grpcServiceEnvSchema } from './service-env';
export { memoryLimitEnvSchema, concurrencyForMemory, type MemoryConcurrencyOptions } from './memory-budget';
