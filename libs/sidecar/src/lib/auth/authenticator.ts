import type { Metadata } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { MetadataKeys } from '../core/metadata-keys';
import { resolveAuthOptions, type AuthOptions, type ResolvedAuth } from './auth-options';
import { UnauthenticatedError } from './unauthenticated.error';

/** TLS details of a connection, as grpc-js's `call.getAuthContext()` reports them. */
export interface PeerAuthContext {
  /** `ssl` when the connection is TLS with a verified peer. */
  transportSecurityType?: string;
  /** The verified peer certificate. */
  sslPeerCertificate?: PeerCertificate;
}

/** What {@link Authenticator.authenticate} needs from an incoming call (a grpc-js server call fits). */
export interface AuthenticatableCall {
  /** Request metadata. */
  readonly metadata: Metadata;
  /** TLS details of the connection (grpc-js server calls have it). */
  getAuthContext?(): PeerAuthContext | null | undefined;
}

/** Caller name used when a token-authenticated call does not say who it is. */
export const UNKNOWN_CALLER = 'unknown';
const MAX_CALLER_LENGTH = 128;

/**
 * Server-side identity check of incoming calls, built once from the auth options:
 * - shared token: `authorization` must be `Bearer <token>` (compared with `crypto.timingSafeEqual`);
 *   the caller is the `x-failsoft-caller` metadata value (trusted only because the token matched);
 * - mutual TLS: the connection must carry a client certificate verified against the CA; the caller
 *   is that certificate's subject CN (falling back to `x-failsoft-caller`). With a token as well,
 *   both must be valid.
 */
export class Authenticator {
  /** The validated options. */
  readonly auth: ResolvedAuth;
  private readonly expected: Buffer | undefined;

  /** @throws InvalidOptionsError on bad options. */
  constructor(auth: AuthOptions) {
    this.auth = resolveAuthOptions(auth);
    this.expected = this.auth.token === undefined ? undefined : Buffer.from(`Bearer ${this.auth.token}`);
  }

  /**
   * Returns the authenticated caller name.
   * @throws UnauthenticatedError when the call has no valid credentials.
   */
  authenticate(call: AuthenticatableCall): string {
    let caller: string | undefined;
    if (this.auth.mode === 'mtls') {
      const context = call.getAuthContext?.();
      const peer = context?.sslPeerCertificate;
      if (context?.transportSecurityType !== 'ssl' || peer === undefined) {
        throw new UnauthenticatedError('a verified client certificate is required (mutual TLS)');
      }
      const cn = peer.subject?.CN as string | string[] | undefined;
      caller = Array.isArray(cn) ? cn[0] : cn;
    }
    if (this.expected !== undefined) {
      const values = call.metadata.get(MetadataKeys.authorization);
      if (values.length === 0) throw new UnauthenticatedError('missing authorization metadata (expected "Bearer <token>")');
      const presented = typeof values[0] === 'string' ? Buffer.from(values[0]) : values[0];
      // the length of the expected value is not secret; only equal-length values are compared
      if (presented.length !== this.expected.length || !timingSafeEqual(presented, this.expected)) {
        throw new UnauthenticatedError('invalid token in authorization metadata');
      }
    }
    if (caller === undefined || caller === '') {
      const claimed = call.metadata.get(MetadataKeys.caller);
      caller = claimed.length > 0 && typeof claimed[0] === 'string' && claimed[0] !== '' ? claimed[0].slice(0, MAX_CALLER_LENGTH) : UNKNOWN_CALLER;
    }
    return caller;
  }
}

const authenticators = new WeakMap<object, Authenticator>();

/**
 * Authenticates an incoming call against `auth` (an Authenticator is built once per options
 * object and cached). Returns the caller name.
 * @throws UnauthenticatedError when the call has no valid credentials; InvalidOptionsError on bad options.
 */
export function authenticate(call: AuthenticatableCall, auth: AuthOptions): string {
  let authenticator = authenticators.get(auth);
  if (authenticator === undefined) {
    authenticator = new Authenticator(auth);
    authenticators.set(auth, authenticator);
  }
  return authenticator.authenticate(call);
}
