import { grpcServiceEnvSchema } from '@failsoft/sidecar';

/** Environment of the feed service. */
export const feedEnvSchema = { ...grpcServiceEnvSchema };
