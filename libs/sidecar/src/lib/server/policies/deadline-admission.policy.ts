import { status, type Metadata } from '@grpc/grpc-js';
import { MetadataKeys } from '../../core/metadata-keys';
import type { SidecarMetrics } from '../../telemetry/metrics';
import type { IncomingCall, Refusal, ServerPolicy } from '../server-policy';

/**
 * The caller's absolute deadline from {@link MetadataKeys.deadline} (Infinity when absent or not a
 * positive integer): unlike `grpc-timeout`, it does not restart when this server reads the call late.
 */
function absoluteDeadline(metadata: Metadata): number {
  const [raw] = metadata.get(MetadataKeys.deadline);
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return Infinity;
  return Number(raw);
}

/**
 * Sets `call.deadline` (the earlier of `grpc-timeout` and `x-failsoft-deadline`) and refuses a
 * call whose deadline has already passed with DEADLINE_EXCEEDED (its handler is not started).
 */
export class DeadlineAdmissionPolicy implements ServerPolicy {
  readonly name = 'deadline';
  /** Calls refused so far. */
  refused = 0;

  /** @param metrics counts refusals. */
  constructor(private readonly metrics: SidecarMetrics) {}

  admit(call: IncomingCall): Refusal | undefined {
    const raw = call.surface.getDeadline();
    const deadline = Math.min(typeof raw === 'number' ? raw : raw.getTime(), absoluteDeadline(call.surface.metadata));
    call.deadline = deadline;
    if (deadline === Infinity || deadline > Date.now()) return undefined;
    this.refused += 1;
    this.metrics.deadlineRefused(call.method.name);
    return { code: status.DEADLINE_EXCEEDED, details: 'deadline already passed when the call arrived; it was not started', reason: 'DEADLINE_EXCEEDED' };
  }
}
