import type { Metadata } from '@grpc/grpc-js';
import { MetadataKeys } from '../core/metadata-keys';
import { INJECTED_FAULT } from './fault-rules';

/**
 * True when a gRPC call error was produced by fault injection (its trailing metadata carries
 * `x-failsoft-error: INJECTED_FAULT`, or its details start with `INJECTED_FAULT`), so clients and
 * dashboards can tell chaos experiments from real failures.
 */
export function isInjectedFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const metadata = (error as { metadata?: Metadata }).metadata;
  if (metadata !== undefined && typeof metadata.get === 'function' && metadata.get(MetadataKeys.error)[0] === INJECTED_FAULT) return true;
  const details = (error as { details?: unknown }).details;
  return typeof details === 'string' && details.startsWith(INJECTED_FAULT);
}
