import { credentials, Metadata, ServerCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { MetadataKeys } from '../core/metadata-keys';
import { assertString } from '../core/validate';
import { resolveAuthOptions, type AuthOptions } from './auth-options';

/**
 * Server credentials for the auth options: insecure transport (the token is checked per call)
 * or TLS that REQUIRES a client certificate signed by `tls.ca`.
 * @throws InvalidOptionsError on bad options.
 */
export function createServerCredentials(auth: AuthOptions): ServerCredentials {
  const resolved = resolveAuthOptions(auth);
  if (resolved.tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(resolved.tls.ca, [{ cert_chain: resolved.tls.cert, private_key: resolved.tls.key }], true);
}

/**
 * Channel credentials for calling a sidecar server: insecure (token mode) or TLS presenting this
 * process's certificate and trusting `tls.ca`.
 * @throws InvalidOptionsError on bad options.
 */
export function createChannelCredentials(auth: AuthOptions): ChannelCredentials {
  const resolved = resolveAuthOptions(auth);
  if (resolved.tls === undefined) return credentials.createInsecure();
  return credentials.createSsl(resolved.tls.ca, resolved.tls.key, resolved.tls.cert);
}

/** Channel options the auth options need (the TLS name override when `tls.serverName` is set). */
export function authChannelOptions(auth: AuthOptions): ChannelOptions {
  const resolved = resolveAuthOptions(auth);
  return resolved.tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': resolved.tls.serverName };
}

/**
 * The metadata every outgoing call carries: `authorization: Bearer <token>` (when a token is
 * configured), `x-failsoft-caller` and `x-failsoft-caller-instance`. Build it ONCE and
 * `clone()` it per call.
 * @throws InvalidOptionsError on bad options.
 */
export function authMetadata(auth: AuthOptions, callerService: string, callerInstance: string): Metadata {
  const resolved = resolveAuthOptions(auth);
  assertString('callerService', callerService);
  assertString('callerInstance', callerInstance);
  const metadata = new Metadata();
  if (resolved.token !== undefined) metadata.set(MetadataKeys.authorization, `Bearer ${resolved.token}`);
  metadata.set(MetadataKeys.caller, callerService);
  metadata.set(MetadataKeys.callerInstance, callerInstance);
  return metadata;
}
