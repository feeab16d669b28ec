import { percent } from '../load/stats';
import type { ScenarioResult } from './runner';

/** The read-back's own requests, apart from the scenario's availability: `212 (3 no verdict)`, `-` without a read-back. */
export function readBackCell(r: ScenarioResult): string {
  return r.readBack ? `${r.readBack.requests.total} (${r.readBack.requests.noVerdict} no verdict)` : '-';
}

/** One line of the text table per scenario, with a header. */
export function formatTable(results: readonly ScenarioResult[]): string[] {
  const header = ['SCENARIO', 'AVAILABILITY', 'DEGRADED', 'P99 IN FAULT', 'RECOVERY', 'LOST WRITES', 'UNVERIFIED', 'REQUESTS', 'READ-BACK', 'TARGET'];
  const rows = results.map((r) => [
    r.name,
    percent(r.availability),
    percent(r.degradedShare),
    `${r.p99Ms} ms`,
    r.recoverySeconds === null ? 'none' : `${r.recoverySeconds.toFixed(1)} s`,
    `${r.lostAcknowledgedWrites} of ${r.acknowledgedWrites}`,
    String(r.unverifiedWrites),
    String(r.requests),
    readBackCell(r),
    r.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const r of results) {
    const exempt = r.target.exempt.length ? `; exempt: ${r.target.exempt.join(', ')} (${r.target.reason})` : '';
    const per = Object.entries(r.endpoints)
      .map(([e, f]) => `${e} ${percent(f.availability)} (${f.errors}/${f.requests} errors)`)
      .join(', ');
    out.push(`  ${r.name}: ${per}${exempt}`);
    if (r.findings) out.push(`    findings: ${Object.entries(r.findings).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
    if (r.resentAfterReset) out.push(`    resent after a reset connection (as a browser does): ${r.resentAfterReset}`);
    if (r.errorsByCause.length) out.push(`    errors by cause: ${r.errorsByCause.map((c) => `${c.cause} ×${c.count}`).join(', ')}`);
    for (const lost of r.lost.slice(0, 5)) out.push(`    LOST ${lost.kind} by ${lost.user} on post ${lost.postId}: read back ${lost.seen}${lost.history ? ` (last ops: ${lost.history})` : ''}`);
    for (const u of (r.unverified ?? []).slice(0, 5)) out.push(`    UNVERIFIED ${u.kind} by ${u.user} on post ${u.postId}: last read ${u.seen}`);
    if (!r.met) out.push(`    missed: ${r.misses.join('; ')}`);
  }
  return out;
}

/** The figures of one scenario in the JSON line. */
export function jsonOf(r: ScenarioResult): Record<string, unknown> {
  const round = (x: number): number => Math.round(x * 100_000) / 100_000;
  return {
    name: r.name,
    ...(r.durability ? { durability: r.durability } : {}),
    ...(r.findings ? { findings: r.findings } : {}),
    availability: round(r.availability),
    lostAcknowledgedWrites: r.lostAcknowledgedWrites,
    unverifiedWrites: r.unverifiedWrites,
    recoverySeconds: r.recoverySeconds,
    p99Ms: r.p99Ms,
    degradedShare: round(r.degradedShare),
    target: r.target,
    met: r.met,
    ...(r.misses.length ? { misses: r.misses } : {}),
    endpoints: Object.fromEntries(Object.entries(r.endpoints).map(([e, f]) => [e, { requests: f.requests, errors: f.errors, availability: round(f.availability) }])),
    requests: r.requests,
    acknowledgedWrites: r.acknowledgedWrites,
    uncertainLikeStates: r.uncertainLikeStates,
    errorsByCause: r.errorsByCause,
    resentAfterReset: r.resentAfterReset,
    readBack: r.readBack ? { requests: r.readBack.requests.total, noVerdict: r.readBack.requests.noVerdict, causes: r.readBack.requests.causes, rounds: r.readBack.rounds, windowMs: r.readBack.windowMs, ms: r.readBack.ms, settledLikeStates: r.readBack.settledLikeStates } : null,
    ...(r.lost.length ? { lost: r.lost.slice(0, 20) } : {}),
    ...(r.unverified?.length ? { unverified: r.unverified.slice(0, 20) } : {}),
  };
}

/** The one line of JSON `scenario --json` ends with: `{"scenarios":[...]}`. */
export function jsonLine(results: readonly ScenarioResult[], meta: Record<string, unknown> = {}): string {
  return JSON.stringify({ scenarios: results.map(jsonOf), ...meta });
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = { ok: '#2f9e44', degraded: '#f08c00', errors: '#e03131' };

/** The SVG chart of one scenario: success/degraded/error per second, the fault window shaded, events marked. */
export function chartSvg(r: ScenarioResult): string {
  const width = 760;
  const height = 190;
  const left = 40;
  const right = 10;
  const top = 18;
  const bottom = 28;
  const seconds = Math.max(1, r.perSecond.length);
  const max = Math.max(1, ...r.perSecond.map((b) => b.requests));
  const w = (width - left - right) / seconds;
  const x = (ms: number): number => left + (ms / 1000) * w;
  const y = (n: number): number => top + (height - top - bottom) * (1 - n / max);
  const parts: string[] = [];
  parts.push(
    `<rect class="fault-window" data-fault-start-ms="${r.fault.startMs}" data-fault-end-ms="${r.fault.endMs}" x="${x(r.fault.startMs).toFixed(1)}" y="${top}" width="${Math.max(1, x(r.fault.endMs) - x(r.fault.startMs)).toFixed(1)}" height="${height - top - bottom}" fill="#e0313122" stroke="#e03131" stroke-dasharray="4 3"><title>fault window: ${(r.fault.startMs / 1000).toFixed(1)} s to ${(r.fault.endMs / 1000).toFixed(1)} s</title></rect>`,
  );
  parts.push(`<text class="fault-label" x="${(x(r.fault.startMs) + 3).toFixed(1)}" y="${top - 5}" font-size="11" fill="#c92a2a">fault</text>`);
  if (r.recoveredAtMs !== null) {
    parts.push(`<line class="recovered-marker" x1="${x(r.recoveredAtMs).toFixed(1)}" x2="${x(r.recoveredAtMs).toFixed(1)}" y1="${top}" y2="${height - bottom}" stroke="#1971c2" stroke-width="1.5"><title>recovered at ${(r.recoveredAtMs / 1000).toFixed(1)} s</title></line>`);
    parts.push(`<text x="${(x(r.recoveredAtMs) + 3).toFixed(1)}" y="${top - 5}" font-size="11" fill="#1971c2">recovered</text>`);
  }
  for (const b of r.perSecond) {
    const bx = left + b.second * w + 0.5;
    const bw = Math.max(0.5, w - 1);
    let acc = 0;
    const tip = `${b.second} s: ${b.ok} ok, ${b.degraded} degraded, ${b.errors} errors`;
    for (const key of ['ok', 'degraded', 'errors'] as const) {
      const n = b[key];
      if (n === 0) continue;
      parts.push(`<rect class="bar ${key}" data-second="${b.second}" x="${bx.toFixed(1)}" y="${y(acc + n).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(acc) - y(acc + n)).toFixed(1)}" fill="${COLORS[key]}"><title>${esc(tip)}</title></rect>`);
      acc += n;
    }
  }
  for (const e of r.events) {
    parts.push(`<line class="event" x1="${x(e.atMs).toFixed(1)}" x2="${x(e.atMs).toFixed(1)}" y1="${height - bottom}" y2="${height - bottom + 6}" stroke="#495057"><title>${esc(`${(e.atMs / 1000).toFixed(1)} s: ${e.label}`)}</title></line>`);
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#868e96"/>`);
  parts.push(`<text x="${left - 4}" y="${top + 4}" font-size="10" text-anchor="end" fill="#495057">${max}/s</text><text x="${left - 4}" y="${height - bottom}" font-size="10" text-anchor="end" fill="#495057">0</text>`);
  const step = Math.max(1, Math.ceil(seconds / 12));
  for (let s = 0; s <= seconds; s += step) parts.push(`<text x="${(left + s * w).toFixed(1)}" y="${height - 8}" font-size="10" text-anchor="middle" fill="#495057">${s}s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(`${r.name}: requests per second`)}">${parts.join('')}</svg>`;
}

/**
 * The HTML report: one self-contained file (inline CSS, SVG and script; nothing fetched), with the
 * table of every scenario and one chart per scenario (ok/degraded/error per second, the fault
 * window shaded, recovery and chaos actions marked).
 */
export function htmlReport(results: readonly ScenarioResult[], meta: { title?: string; command?: string; date?: string; url?: string } = {}): string {
  const rows = results
    .map(
      (r) =>
        `<tr class="${r.met ? 'met' : 'missed'}"><td><a href="#${esc(r.name)}">${esc(r.name)}</a></td><td>${percent(r.availability)}</td><td>${percent(r.degradedShare)}</td><td>${r.p99Ms} ms</td><td>${r.recoverySeconds === null ? 'none' : `${r.recoverySeconds.toFixed(1)} s`}</td><td>${r.lostAcknowledgedWrites} of ${r.acknowledgedWrites}</td><td class="unverified">${r.unverifiedWrites}</td><td>${esc(readBackCell(r))}</td><td>${esc(
          Object.entries(r.endpoints)
            .map(([e, f]) => `${e} ${percent(f.availability)}`)
            .join(', '),
        )}</td><td>${esc(r.target.exempt.length ? `${r.target.exempt.join(', ')}: ${r.target.reason ?? ''}` : '-')}</td><td>${r.met ? 'met' : `MISSED: ${esc(r.misses.join('; '))}`}</td></tr>`,
    )
    .join('\n');
  const sections = results
    .map(
      (r) => `<section id="${esc(r.name)}"><h2>${esc(r.name)} <small>${esc(r.title)}</small></h2>
<p>availability ${percent(r.availability)}, degraded ${percent(r.degradedShare)}, p99 during the fault ${r.p99Ms} ms, recovery ${r.recoverySeconds === null ? 'none' : `${r.recoverySeconds.toFixed(1)} s`}, lost acknowledged writes ${r.lostAcknowledgedWrites} of ${r.acknowledgedWrites}, unverified writes ${r.unverifiedWrites}; ${r.requests} requests (read-back apart: ${esc(readBackCell(r))})${r.errorsByCause.length ? `; errors: ${esc(r.errorsByCause.map((c) => `${c.cause} ×${c.count}`).join(', '))}` : ''}</p>
${chartSvg(r)}
<p class="hover" aria-live="polite">&nbsp;</p>
<p class="events">${esc(r.events.map((e) => `${(e.atMs / 1000).toFixed(1)} s ${e.label}`).join(' · '))}</p></section>`,
    )
    .join('\n');
  const title = meta.title ?? 'Failsoft chaos scenarios';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212529;max-width:1100px}
table{border-collapse:collapse;width:100%;margin:12px 0}th,td{border:1px solid #dee2e6;padding:4px 6px;text-align:left;vertical-align:top}
tr.missed td{background:#fff5f5}tr.met td:last-child{color:#2b8a3e}tr.missed td:last-child{color:#c92a2a;font-weight:600}
h2 small{font-weight:normal;color:#495057;font-size:13px}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.hover{min-height:1.4em;color:#495057;font-size:12px}.events{color:#495057;font-size:12px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc([meta.date && `run ${meta.date}`, meta.command && `command: ${meta.command}`, meta.url && `front door ${meta.url}`].filter(Boolean).join(' · '))}</p>
<p class="legend"><span style="background:${COLORS.ok}"></span>ok <span style="background:${COLORS.degraded}"></span>degraded (2xx, served without a part) <span style="background:${COLORS.errors}"></span>error <span style="background:#e0313122;border:1px dashed #e03131"></span>fault window <span style="background:#1971c2;width:3px"></span>recovered</p>
<table><thead><tr><th>scenario</th><th>availability</th><th>degraded</th><th>p99 in fault</th><th>recovery</th><th>lost writes</th><th>unverified writes</th><th>read-back requests</th><th>per endpoint</th><th>exempt</th><th>target</th></tr></thead><tbody>
${rows}
</tbody></table>
${sections}
<script>
document.querySelectorAll('section').forEach(function (section) {
  var out = section.querySelector('.hover');
  section.querySelectorAll('rect.bar').forEach(function (bar) {
    bar.addEventListener('mouseenter', function () { out.textContent = bar.querySelector('title').textContent; });
  });
});
</script>
</body></html>
`;
}
