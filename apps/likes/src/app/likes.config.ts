import { grpcServiceEnvSchema } from '@failsoft/sidecar';

/** Environment of the likes service. */
export const likesEnvSchema = { ...grpcServiceEnvSchema };
