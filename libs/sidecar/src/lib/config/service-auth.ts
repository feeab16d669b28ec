import { join } from 'node:path';
import type { AuthOptions } from '../auth/auth-options';

/** The variables {@link serviceAuthOptions} reads (part of `serviceEnvSchema`). */
export interface ServiceAuthEnv {
  readonly FAILSOFT_TOKEN: string;
  readonly GRPC_TLS_DIR?: string;
  readonly GRPC_TLS_SERVER_NAME?: string;
}

/**
 * The auth options of a service from its environment: the shared token alone, or, with
 * `GRPC_TLS_DIR`, mutual TLS with `ca.crt`, `tls.crt`, `tls.key` from that folder AND the token
 * (both are required of callers; the caller's identity is its certificate's CN). The files are
 * read and checked when the sidecar is built (a clear InvalidOptionsError names a missing one).
 */
export function serviceAuthOptions(config: ServiceAuthEnv): AuthOptions {
  if (config.GRPC_TLS_DIR === undefined || config.GRPC_TLS_DIR === '') return { token: config.FAILSOFT_TOKEN };
  const dir = config.GRPC_TLS_DIR;
  return {
    tls: { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ...(config.GRPC_TLS_SERVER_NAME ? { serverName: config.GRPC_TLS_SERVER_NAME } : {}) },
    token: config.FAILSOFT_TOKEN,
  };
}
