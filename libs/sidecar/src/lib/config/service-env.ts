import { env } from './env-config';

/**
 * The environment variables every Failsoft service reads, with the same names in
 * `npm start`, docker compose and Kubernetes. Apps spread this into their own schema.
 */
export const serviceEnvSchema = {
  /** HTTP port: the public API on the gateway; liveness/readiness/metrics on gRPC services. */
  HTTP_PORT: env.port(),
  /** Interface to bind (loopback locally; `::` in containers: every IPv4 and IPv6 address). */
  BIND_HOST: env.string({ default: '127.0.0.1' }),
  /** Host name other instances use to reach this one (registered in discovery). */
  ADVERTISE_HOST: env.string({ default: '127.0.0.1' }),
  /** Unique instance id; generated from the host name and pid when unset. */
  INSTANCE_ID: env.string({ optional: true, pattern: /^[a-zA-Z0-9._-]{1,64}$/ }),
  /**
   * Failure domain of this instance (zone-aware balancing). Unset or empty: unknown, so zone
   * preference is off, and the sidecar says so in a log line at start.
   */
  ZONE: env.string({ default: '', pattern: /^[a-zA-Z0-9._-]{1,64}$/ }),
  /** Redis Sentinel addresses, `host:port,host:port,...`. */
  REDIS_SENTINELS: env.hostPorts(),
  /** Name of the master the sentinels monitor. */
  REDIS_MASTER_NAME: env.string({ default: 'failsoft', pattern: /^[a-zA-Z0-9._-]{1,64}$/ }),
  /** Shared token authenticating internal gRPC calls (at least 16 characters). */
  FAILSOFT_TOKEN: env.string({ minLength: 16 }),
  /** Log level. */
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info' }),
};

/** Extra variables of the gRPC services (upload, likes, feed). */
export const grpcServiceEnvSchema = {
  ...serviceEnvSchema,
  /** gRPC port (0 = pick a free one and register it). */
  GRPC_PORT: env.port(),
};
