export { resolveAuthOptions, type AuthOptions, type TlsAuthOptions, type PemSource, type ResolvedAuth } from './auth-options';
export { Authenticator, authenticate, UNKNOWN_CALLER, type AuthenticatableCall, type PeerAuthContext } from './authenticator';
export { UnauthenticatedError, isUnauthenticatedError } from './unauthenticated.error';
export { createServerCredentials, createChannelCredentials, authChannelOptions, authMetadata } from './credentials';
