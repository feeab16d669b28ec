import { grpcServiceEnvSchema, type EnvConfig } from '@failsoft/sidecar';

/** Environment of the likes service (the shared gRPC service variables; nothing likes-specific yet). */
export const likesEnvSchema = { ...grpcServiceEnvSchema };

/** The validated configuration of the likes service. */
export type LikesConfig = EnvConfig<typeof likesEnvSchema>;
