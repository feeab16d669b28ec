import { grpcServiceEnvSchema, memoryLimitEnvSchema, type EnvConfig } from '@failsoft/sidecar';

/**
 * Environment of the upload service: the variables every gRPC service reads, plus its container's
 * memory limit (optional; the calls it serves at once are derived from it, see
 * `maxConcurrentCallsFor`).
 */
export const uploadEnvSchema = { ...grpcServiceEnvSchema, ...memoryLimitEnvSchema };

/** The validated configuration of the upload service. */
export type UploadConfig = EnvConfig<typeof uploadEnvSchema>;
