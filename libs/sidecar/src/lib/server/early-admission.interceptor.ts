import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { MetadataKeys } from '../core/metadata-keys';
import type { SidecarMetrics } from '../telemetry/metrics';
import type { AuthenticationPolicy } from './policies/authentication.policy';
import type { PermissionPolicy } from './policies/permission.policy';
import type { Refusal } from './server-policy';

/** What the early-admission interceptor checks with. */
export interface EarlyAdmissionOptions {
  /** Authenticates the caller from the metadata and the connection (token, client certificate). */
  readonly authentication: AuthenticationPolicy;
  /** Who may call what (absent: every authenticated caller may call every method). */
  readonly permissions: PermissionPolicy | undefined;
  /** Where refusals are recorded. */
  readonly metrics: SidecarMetrics;
  /** Paths that need no credentials (the gRPC health service, which probes call). */
  readonly exempt: (path: string) => boolean;
}

/**
 * A grpc-js server interceptor that authenticates the caller and checks its permission as soon as
 * the request HEADERS arrive, before the request message is read: grpc-js keeps the HTTP/2 stream
 * paused until a handler asks to read, so a refused call (UNAUTHENTICATED or PERMISSION_DENIED,
 * with the `x-failsoft-error` trailer) answers at once and its body is discarded frame by frame,
 * never buffered or deserialized. A 15 MiB message without credentials costs the server nothing.
 */
export function earlyAdmissionInterceptor(options: EarlyAdmissionOptions): ServerInterceptor {
  const { authentication, permissions, metrics, exempt } = options;
  return (descriptor, call) => {
    if (exempt(descriptor.path)) return new ServerInterceptingCall(call);
    const method = descriptor.path.slice(descriptor.path.lastIndexOf('/') + 1);
    const started = performance.now();
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, passOn) => {
            const outcome = authentication.authenticate({ metadata, getAuthContext: () => call.getAuthContext() }, method);
            const refusal = typeof outcome === 'string' ? permissions?.check(outcome, method) : outcome;
            if (refusal === undefined) {
              passOn(metadata);
              return;
            }
            intercepting.sendStatus({ code: refusal.code, details: refusal.details, metadata: trailer(refusal) });
            metrics.serverCall(method, refusal.code, (performance.now() - started) / 1000);
          },
        }),
    });
    return intercepting;
  };
}

function trailer(refusal: Refusal): Metadata {
  const metadata = new Metadata();
  if (refusal.reason !== undefined) metadata.set(MetadataKeys.error, refusal.reason);
  return metadata;
}
