import { env, serviceEnvSchema } from '@failsoft/sidecar';

/** Environment of the gateway (public HTTP edge). */
export const gatewayEnvSchema = {
  ...serviceEnvSchema,
  /** Secret signing user session tokens (at least 32 characters). */
  AUTH_SECRET: env.string({ minLength: 32 }),
};
