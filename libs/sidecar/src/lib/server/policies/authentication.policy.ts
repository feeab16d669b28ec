import { status } from '@grpc/grpc-js';
import type { AuthenticatableCall, Authenticator } from '../../auth/authenticator';
import { isUnauthenticatedError } from '../../auth/unauthenticated.error';
import type { SidecarMetrics } from '../../telemetry/metrics';
import type { IncomingCall, Refusal, ServerPolicy } from '../server-policy';

/** Authenticates the caller (shared token or mTLS) and sets `call.caller`; refuses with UNAUTHENTICATED. */
export class AuthenticationPolicy implements ServerPolicy {
  readonly name = 'authentication';
  /** Calls refused so far. */
  refused = 0;

  /** @param authenticator checks the credentials; @param metrics counts refusals. */
  constructor(
    private readonly authenticator: Authenticator,
    private readonly metrics: SidecarMetrics,
  ) {}

  admit(call: IncomingCall): Refusal | undefined {
    const outcome = this.authenticate(call.surface, call.method.name);
    if (typeof outcome !== 'string') return outcome;
    call.caller = outcome;
    return undefined;
  }

  /** The authenticated caller of `call` (a method of this server), or the refusal (counted). */
  authenticate(call: AuthenticatableCall, method: string): string | Refusal {
    try {
      return this.authenticator.authenticate(call);
    } catch (error) {
      this.refused += 1;
      this.metrics.unauthenticated(method);
      const details = isUnauthenticatedError(error) ? error.message : 'authentication failed';
      return { code: status.UNAUTHENTICATED, details, reason: 'UNAUTHENTICATED' };
    }
  }
}
