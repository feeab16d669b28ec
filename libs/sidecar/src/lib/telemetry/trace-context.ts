import { randomFillSync } from 'node:crypto';
import type { TraceContext } from '../core/call-scope';

/**
 * W3C Trace Context (`traceparent`) helpers: strict parsing, formatting, new traces and child spans.
 * Ids come from a pooled random buffer, so creating a span costs well under a microsecond.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** Trace flag bit 0: the trace is sampled. */
export const TRACE_FLAG_SAMPLED = 0x01;

/**
 * Parses a W3C `traceparent` header strictly. Returns `undefined` for anything invalid:
 * wrong shape, uppercase hex, version `ff`, all-zero trace or span id, or extra fields on version `00`
 * (future versions may carry extra `-`-separated fields, which are ignored as the spec asks).
 */
export function parseTraceparent(header: string | undefined | null): TraceContext | undefined {
  if (typeof header !== 'string' || header.length < 55) return undefined;
  const match = TRACEPARENT.exec(header);
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

/** Formats a trace context as a version-00 `traceparent` header value. */
export function formatTraceparent(trace: TraceContext): string {
  const flags = trace.flags & 0xff;
  return `00-${trace.traceId}-${trace.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}

/** Starts a new trace (random trace and span ids), sampled unless `sampled` is false. */
export function newTrace(sampled = true): TraceContext {
  return { traceId: randomHex(16, ZERO_TRACE_ID), spanId: randomHex(8, ZERO_SPAN_ID), flags: sampled ? TRACE_FLAG_SAMPLED : 0 };
}

/** A new span in the same trace as `parent` (same trace id and flags, new span id). */
export function childSpan(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: randomHex(8, ZERO_SPAN_ID), flags: parent.flags };
}

/**
 * The trace context a server uses for an incoming call: a child span of the caller's valid
 * `traceparent`, or a brand-new trace when the header is missing or invalid.
 */
export function continueTrace(header: string | undefined | null): TraceContext {
  const parent = parseTraceparent(header);
  return parent === undefined ? newTrace() : childSpan(parent);
}

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `bytes` random bytes as lowercase hex, never equal to `zero` (the invalid all-zero id). */
function randomHex(bytes: number, zero: string): string {
  for (;;) {
    if (poolOffset + bytes > POOL_SIZE) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (hex !== zero) return hex;
  }
}
