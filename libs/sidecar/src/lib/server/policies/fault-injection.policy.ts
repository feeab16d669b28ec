import { status } from '@grpc/grpc-js';
import type { FaultDecision, FaultSource } from '../../faults/fault-source';
import type { SidecarMetrics } from '../../telemetry/metrics';
import type { ServerCallContext, ServerSurfaceCall } from '../handler-context';
import type { Refusal, ServerPolicy } from '../server-policy';

/**
 * Applies the fault rules in force to admitted calls: a delay (honouring the deadline and
 * cancellation), then an abort with the rule's status and the INJECTED_FAULT reason.
 */
export class FaultInjectionPolicy implements ServerPolicy {
  readonly name = 'fault-injection';
  /** Calls delayed so far. */
  delayed = 0;
  /** Calls aborted so far. */
  aborted = 0;

  /**
   * @param service this server's service name (rules match on it).
   * @param faults where the rules come from.
   * @param metrics counts injected faults.
   */
  constructor(
    private readonly service: string,
    readonly faults: FaultSource,
    private readonly metrics: SidecarMetrics,
  ) {}

  prepare(ctx: ServerCallContext, call: ServerSurfaceCall): Promise<Refusal | undefined> | undefined {
    const fault = this.faults.decide(this.service, ctx.method);
    return fault === undefined ? undefined : this.apply(fault, ctx, call);
  }

  private async apply(fault: FaultDecision, ctx: ServerCallContext, call: ServerSurfaceCall): Promise<Refusal | undefined> {
    if (fault.delayMs > 0) {
      this.delayed += 1;
      this.metrics.faultInjected(ctx.method, 'delay');
      await delayUnlessCancelled(Math.min(fault.delayMs, ctx.remainingMs()), call);
      if (call.cancelled) return { code: status.CANCELLED, details: 'cancelled during an injected delay' };
      if (ctx.deadline <= Date.now()) return { code: status.DEADLINE_EXCEEDED, details: 'deadline passed during an injected delay' };
    }
    if (fault.abort !== undefined) {
      this.aborted += 1;
      this.metrics.faultInjected(ctx.method, 'abort');
      return { code: fault.abort.code, details: fault.abort.message, reason: 'INJECTED_FAULT' };
    }
    return undefined;
  }
}

/** Waits `ms`, or less if the call is cancelled first. */
function delayUnlessCancelled(ms: number, call: ServerSurfaceCall): Promise<void> {
  if (ms <= 0 || call.cancelled) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      call.off('cancelled', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    call.once('cancelled', done);
  });
}
