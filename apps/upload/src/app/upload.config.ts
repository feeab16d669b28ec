import { grpcServiceEnvSchema, type EnvConfig } from '@failsoft/sidecar';

/** Environment of the upload service (the variables every gRPC service reads). */
export const uploadEnvSchema = { ...grpcServiceEnvSchema };

/** The validated configuration of the upload service. */
export type UploadConfig = EnvConfig<typeof uploadEnvSchema>;
