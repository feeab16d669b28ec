import { status } from '@grpc/grpc-js';
import type { IncomingCall, Refusal, ServerPolicy } from '../server-policy';

/**
 * Refuses every call unless the server is serving (draining, or not yet started), with
 * UNAVAILABLE "draining" and the DRAINING reason, so callers retry on another instance.
 */
export class DrainingPolicy implements ServerPolicy {
  readonly name = 'draining';
  /** Calls refused so far. */
  refused = 0;

  /**
   * @param isServing true while the server takes new calls.
   * @param describe who is refusing, e.g. `instance likes-1 of likes`.
   */
  constructor(
    private readonly isServing: () => boolean,
    private readonly describe: string,
  ) {}

  admit(_call: IncomingCall): Refusal | undefined {
    if (this.isServing()) return undefined;
    this.refused += 1;
    return { code: status.UNAVAILABLE, details: `draining: ${this.describe} is shutting down; retry on another instance`, reason: 'DRAINING' };
  }
}
