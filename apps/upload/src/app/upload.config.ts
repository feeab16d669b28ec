import { env, grpcServiceEnvSchema, memoryLimitEnvSchema, type EnvConfig } from '@failsoft/sidecar';

/**
 * Environment of the upload service: the variables every gRPC service reads, plus its container's
 * memory limit (optional; the calls it serves at once are derived from it, see
 * `maxConcurrentCallsFor`).
 */
export const uploadEnvSchema = {
  ...grpcServiceEnvSchema,
  ...memoryLimitEnvSchema,
  /** Posts one author may store (optional; default 1000): more are refused with QUOTA_EXCEEDED. */
  USER_MAX_POSTS: env.int(1, 10_000_000, { default: 1000 }),
  /** Bytes of images one author may store, original + thumbnail (optional; default 200 MiB). */
  USER_MAX_BYTES: env.int(1024 * 1024, Number.MAX_SAFE_INTEGER, { default: 200 * 1024 * 1024 }),
  /** Longest one image job (thumbnail, re-encoding) may take, whole seconds (optional; default 10): beyond, the upload is refused `CORRUPT`. */
  IMAGE_JOB_TIMEOUT_S: env.int(1, 3600, { default: 10 }),
};

/** The validated configuration of the upload service. */
export type UploadConfig = EnvConfig<typeof uploadEnvSchema>;
