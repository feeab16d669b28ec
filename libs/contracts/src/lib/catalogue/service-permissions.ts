import type { GrpcServiceName, PlatformServiceName } from './service-catalogue';

/** Which callers (service identities) may call each method of one gRPC service. */
export type MethodPermissions = Readonly<Record<string, readonly PlatformServiceName[]>>;

const methods = (permissions: MethodPermissions): MethodPermissions => Object.freeze(permissions);

/**
 * Per-method caller permissions of every gRPC service, written once: the servers enforce them
 * (PERMISSION_DENIED, trailer `x-failsoft-error: PERMISSION_DENIED`) before the request body is
 * read, and docs/security.md lists them. A method missing here is refused to every caller. The
 * caller is the identity the call proves: the client certificate (mutual TLS) or, in token
 * mode, the `x-failsoft-caller` the token vouches for.
 */
export const SERVICE_PERMISSIONS: Readonly<Record<GrpcServiceName, MethodPermissions>> = Object.freeze({
  upload: methods({ CreatePost: ['gateway'], GetPost: ['gateway'], DeletePost: ['gateway'], GetImage: ['gateway'], StreamImage: ['gateway'] }),
  likes: methods({ Like: ['gateway'], Unlike: ['gateway'], Counts: ['gateway', 'feed'] }),
  feed: methods({ GetFeed: ['gateway'], GetTrending: ['gateway'] }),
});

/** The caller permissions of `service`. @throws RangeError for a service that serves no gRPC. */
export function callerPermissions(service: string): MethodPermissions {
  const found = (SERVICE_PERMISSIONS as Readonly<Record<string, MethodPermissions>>)[service];
  if (found === undefined) throw new RangeError(`no gRPC permissions for ${JSON.stringify(service)}; the gRPC services are ${Object.keys(SERVICE_PERMISSIONS).join(', ')}`);
  return found;
}
