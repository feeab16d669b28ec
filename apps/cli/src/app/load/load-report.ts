import { formatDuration } from './duration';
import type { LoadResult } from './load-generator';
import type { ReadBackResult } from './read-back';
import { ENDPOINTS, percent } from './stats';

/**
 * The lost-write line: `lost acknowledged writes: 0, unverified: 0 (checked 40 uploads and 24 (user, post)
 * like states; 2 uncertain like states settled by repeating their last op; read-back: 130 requests, 0 without verdict)`.
 */
export function lostWritesLine(readBack: ReadBackResult): string {
  const parts = [`checked ${readBack.uploads} uploads and ${readBack.likeKeys} (user, post) like states`];
  if (readBack.settledLikeKeys) parts.push(`${readBack.settledLikeKeys} uncertain like states settled by repeating their last op`);
  if (readBack.unverified.length) parts.push(`${readBack.unverified.length} not read back cleanly within the ${Math.round(readBack.windowMs / 1000)} s verification window: not proven kept`);
  parts.push(`read-back: ${readBack.requests.total} requests in ${readBack.rounds} rounds, ${readBack.requests.noVerdict} without verdict`);
  return `lost acknowledged writes: ${readBack.lost.length}, unverified: ${readBack.unverified.length} (${parts.join('; ')})`;
}

/** The summary of a load run, as lines. */
export function formatLoadReport(result: LoadResult, readBack?: ReadBackResult): string[] {
  const o = result.overall;
  const seconds = result.durationMs / 1000;
  const lines = [
    `requests: ${o.requests} in ${formatDuration(result.durationMs)} (${(o.requests / Math.max(seconds, 0.001)).toFixed(1)}/s)${result.notSent ? `; ${result.notSent} not sent (too many in flight)` : ''}`,
    `success: ${percent(o.availability)} (2xx, degraded included); degraded: ${percent(o.degradedShare)}; errors: ${o.errors}`,
    `latency: p50 ${o.p50Ms} ms, p95 ${o.p95Ms} ms, p99 ${o.p99Ms} ms, max ${o.maxMs} ms`,
  ];
  for (const e of ENDPOINTS) {
    const f = result.byEndpoint[e];
    lines.push(`  ${e.padEnd(6)} ${String(f.requests).padStart(6)} requests, success ${percent(f.availability).padStart(7)}, degraded ${String(f.degraded).padStart(4)}, errors ${String(f.errors).padStart(4)}, p50/p95/p99 ${f.p50Ms}/${f.p95Ms}/${f.p99Ms} ms`);
  }
  lines.push(result.errorsByCause.length ? `errors by cause: ${result.errorsByCause.map((c) => `${c.cause} ×${c.count}`).join(', ')}` : 'errors by cause: none');
  if (readBack) {
    lines.push(lostWritesLine(readBack));
    for (const lost of readBack.lost.slice(0, 10)) lines.push(`  LOST ${lost.kind} by ${lost.user} on post ${lost.postId}: read back ${lost.seen}${lost.history ? ` (last ops: ${lost.history})` : ''}`);
    if (readBack.lost.length > 10) lines.push(`  ... and ${readBack.lost.length - 10} more`);
    for (const u of readBack.unverified.slice(0, 10)) lines.push(`  UNVERIFIED ${u.kind} by ${u.user} on post ${u.postId}: last read ${u.seen}`);
    if (readBack.unverified.length > 10) lines.push(`  ... and ${readBack.unverified.length - 10} more unverified`);
  }
  return lines;
}
