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
  /** ACL user of this service on the Redis data nodes (unset: the `default` user, i.e. no ACL). */
  REDIS_USERNAME: env.string({ optional: true, pattern: /^[a-zA-Z0-9._-]{1,64}$/ }),
  /** Password of REDIS_USERNAME (or of `default`) on the data nodes. */
  REDIS_PASSWORD: env.string({ optional: true, minLength: 16 }),
  /** Password of the sentinels (their `requirepass`). */
  REDIS_SENTINEL_PASSWORD: env.string({ optional: true, minLength: 16 }),
  /**
   * Key that signs and checks discovery entries (16+ characters, the same in every service):
   * an instance registered without it gets no calls. Default: derived from FAILSOFT_TOKEN.
   */
  DISCOVERY_KEY: env.string({ optional: true, minLength: 16 }),
  /** Shared token authenticating internal gRPC calls (at least 16 characters). */
  FAILSOFT_TOKEN: env.string({ minLength: 16 }),
  /**
   * Folder of this service's mutual-TLS material: `ca.crt`, `tls.crt`, `tls.key` (the layout of a
   * Kubernetes TLS Secret made by the certs Job or cert-manager, and of the compose `certs` job).
   * Set: internal calls use mutual TLS (plus the token) and callers are identified by their
   * certificate.
   */
  GRPC_TLS_DIR: env.string({ optional: true }),
  /**
   * Name clients verify in servers' certificates instead of the dialled host (for platforms where
   * instances are dialled by address, e.g. Kubernetes pod IPs). Unset: the dialled host.
   */
  GRPC_TLS_SERVER_NAME: env.string({ optional: true, pattern: /^[a-zA-Z0-9.-]{1,253}$/ }),
  /** Log level. */
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info' }),
};

/** Extra variables of the gRPC services (upload, likes, feed). */
export const grpcServiceEnvSchema = {
  ...serviceEnvSchema,
  /** gRPC port (0 = pick a free one and register it). */
  GRPC_PORT: env.port(),
};

/** The Redis credentials of a service's environment, as @failsoft/state client options take them. */
export interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly sentinelPassword?: string;
}

/** The Redis credentials in `config` (REDIS_USERNAME, REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD); unset ones are left out. */
export function redisCredentialsOf(config: { REDIS_USERNAME?: string; REDIS_PASSWORD?: string; REDIS_SENTINEL_PASSWORD?: string }): RedisCredentials {
  return {
    ...(config.REDIS_USERNAME ? { username: config.REDIS_USERNAME } : {}),
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
    ...(config.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: config.REDIS_SENTINEL_PASSWORD } : {}),
  };
}
