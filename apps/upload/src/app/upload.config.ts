import { grpcServiceEnvSchema } from '@failsoft/sidecar';

/** Environment of the upload service. */
export const uploadEnvSchema = { ...grpcServiceEnvSchema };
