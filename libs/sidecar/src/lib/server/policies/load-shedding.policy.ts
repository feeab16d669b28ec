import { status } from '@grpc/grpc-js';
import type { SidecarMetrics } from '../../telemetry/metrics';
import type { InFlight } from '../in-flight';
import type { IncomingCall, Refusal, ServerPolicy } from '../server-policy';

/** Sheds a call with RESOURCE_EXHAUSTED "overloaded" when `maxConcurrent` calls are already in flight. */
export class LoadSheddingPolicy implements ServerPolicy {
  readonly name = 'load-shedding';
  /** Calls shed so far. */
  refused = 0;

  /**
   * @param inFlight the server's in-flight count.
   * @param maxConcurrent the limit.
   * @param instanceId named in the refusal.
   * @param metrics counts refusals.
   */
  constructor(
    private readonly inFlight: InFlight,
    readonly maxConcurrent: number,
    private readonly instanceId: string,
    private readonly metrics: SidecarMetrics,
  ) {}

  admit(call: IncomingCall): Refusal | undefined {
    if (this.inFlight.active < this.maxConcurrent) return undefined;
    this.refused += 1;
    this.metrics.shed(call.method.name);
    return {
      code: status.RESOURCE_EXHAUSTED,
      details: `overloaded: ${this.maxConcurrent} calls already in flight on ${this.instanceId}; retry on another instance`,
      reason: 'BULKHEAD_REJECTED',
    };
  }
}
