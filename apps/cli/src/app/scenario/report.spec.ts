import type { ScenarioResult } from './runner';
import { chartSvg, formatTable, htmlReport, jsonLine } from './report';
import { targetFor } from './targets';

function result(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  const endpoint = { requests: 10, ok: 10, degraded: 0, errors: 0, availability: 1, p99Ms: 30 };
  return {
    name: 'kill-all-likes',
    title: 'SIGKILL every likes instance <b>',
    startedAt: '2026-12-06T06:00:00.000Z',
    availability: 0.9,
    degradedShare: 0.25,
    p99Ms: 120,
    recoverySeconds: 4.2,
    lostAcknowledgedWrites: 0,
    acknowledgedWrites: 40,
    unverifiedWrites: 0,
    uncertainLikeStates: 1,
    unverified: [],
    readBack: { requests: { total: 90, noVerdict: 4, causes: [{ cause: 'HTTP 503', count: 4 }] }, rounds: 2, windowMs: 30_000, ms: 1800, settledLikeStates: 2 },
    requests: 40,
    endpoints: { feed: endpoint, like: { ...endpoint, errors: 5, ok: 5, availability: 0.5 }, unlike: endpoint, create: endpoint },
    errorsByCause: [{ cause: 'HTTP 503 LIKES_UNAVAILABLE', count: 5 }],
    resentAfterReset: 0,
    fault: { startMs: 2500, endMs: 8500 },
    recoveredAtMs: 12_700,
    durationMs: 14_000,
    perSecond: Array.from({ length: 14 }, (_, second) => ({ second, requests: 3, ok: 1, degraded: 1, errors: 1 })),
    events: [{ atMs: 2500, label: 'SIGKILL all likes' }],
    lost: [],
    steady: true,
    target: targetFor({ endpoints: ['like', 'unlike'], reason: 'all of likes down' }, 120),
    met: true,
    misses: [],
    ...overrides,
  };
}

describe('scenario reports', () => {
  it('shows what the fault step found (takeover, fencing) in the table and the JSON line, and nothing when it found nothing', () => {
    const findings = { takeover: true, takeoverSeconds: 10.7, successor: 'feed-2', staleTrendingResults: 0 };
    const withFindings = result({ name: 'redis-partition-leader-cut', findings });
    expect(formatTable([withFindings])).toContain('    findings: takeover true, takeoverSeconds 10.7, successor feed-2, staleTrendingResults 0');
    expect((JSON.parse(jsonLine([withFindings])) as { scenarios: Array<Record<string, unknown>> }).scenarios[0]['findings']).toEqual(findings);
    expect(formatTable([result()]).join('\n')).not.toContain('findings');
    expect(jsonLine([result()])).not.toContain('findings');
  });

  it('the JSON line has the figures, the target with its exemption, and met', () => {
    const line = jsonLine([result(), result({ name: 'kill-one-likes', met: false, misses: ['1 acknowledged writes lost'], lostAcknowledgedWrites: 1 })]);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as { scenarios: Array<Record<string, unknown>> };
    expect(parsed.scenarios[0]).toMatchObject({
      name: 'kill-all-likes',
      availability: 0.9,
      lostAcknowledgedWrites: 0,
      unverifiedWrites: 0,
      recoverySeconds: 4.2,
      p99Ms: 120,
      degradedShare: 0.25,
      target: { availability: 0.999, lostAcknowledgedWrites: 0, exempt: ['like', 'unlike'], reason: 'all of likes down' },
      met: true,
      endpoints: { like: { requests: 10, errors: 5, availability: 0.5 } },
      // the read-back's own requests, apart from the scenario's requests and availability
      requests: 40,
      readBack: { requests: 90, noVerdict: 4, causes: [{ cause: 'HTTP 503', count: 4 }], rounds: 2, windowMs: 30_000, settledLikeStates: 2 },
    });
    expect(parsed.scenarios[1]).toMatchObject({ name: 'kill-one-likes', met: false, misses: ['1 acknowledged writes lost'], lostAcknowledgedWrites: 1 });
  });

  it('shows unverified writes beside lost ones, in the JSON, the table and the HTML', () => {
    const unverified = [{ kind: 'like' as const, user: 'bob', postId: 'p_x', seen: 'GET /api/posts/:id HTTP 503' }];
    const r = result({ name: 'degraded-read-back', unverifiedWrites: 1, unverified, met: false, misses: ['1 acknowledged writes unverified (no clean read-back within the verification window)'] });
    const parsed = JSON.parse(jsonLine([r])) as { scenarios: Array<Record<string, unknown>> };
    expect(parsed.scenarios[0]).toMatchObject({ lostAcknowledgedWrites: 0, unverifiedWrites: 1, unverified, met: false });
    expect(Object.keys(parsed.scenarios[0]).indexOf('unverifiedWrites')).toBe(Object.keys(parsed.scenarios[0]).indexOf('lostAcknowledgedWrites') + 1);
    const table = formatTable([r]);
    expect(table[0]).toMatch(/LOST WRITES\s+UNVERIFIED\s+REQUESTS\s+READ-BACK/);
    expect(table[1]).toMatch(/0 of 40\s+1\s+40\s+90 \(4 no verdict\)\s+MISSED$/);
    expect(table.join('\n')).toContain('UNVERIFIED like by bob on post p_x: last read GET /api/posts/:id HTTP 503');
    const html = htmlReport([r]);
    expect(html).toContain('<th>lost writes</th><th>unverified writes</th><th>read-back requests</th>');
    expect(html).toContain('<td>0 of 40</td><td class="unverified">1</td><td>90 (4 no verdict)</td>');
    expect(html).toContain('unverified writes 1;');
  });

  it('the table has a row per scenario and says which missed', () => {
    const lines = formatTable([result(), result({ name: 'monkey', met: false, misses: ['feed availability 99.00% < 99.9%'], recoverySeconds: null })]);
    expect(lines[0]).toMatch(/^SCENARIO\s+AVAILABILITY\s+DEGRADED\s+P99 IN FAULT\s+RECOVERY\s+LOST WRITES/);
    expect(lines[1]).toMatch(/^kill-all-likes\s+90\.00%\s+25\.00%\s+120 ms\s+4\.2 s\s+0 of 40\s+0\s+40\s+90 \(4 no verdict\)\s+met$/);
    expect(lines[2]).toMatch(/^monkey .* none .* MISSED$/);
    expect(lines.join('\n')).toContain('missed: feed availability 99.00% < 99.9%');
    expect(lines.join('\n')).toContain('exempt: like, unlike (all of likes down)');
  });

  it('the chart marks the fault window and the recovery, with a bar per second', () => {
    const svg = chartSvg(result());
    expect(svg).toContain('class="fault-window" data-fault-start-ms="2500" data-fault-end-ms="8500"');
    expect(svg).toContain('>fault</text>');
    expect(svg).toContain('class="recovered-marker"');
    expect(svg.match(/class="bar ok"/g)).toHaveLength(14);
    expect(svg.match(/class="bar errors"/g)).toHaveLength(14);
  });

  it('the HTML report is one self-contained file: a chart per scenario, the table, nothing fetched', () => {
    const html = htmlReport([result(), result({ name: 'monkey' })], { command: 'failsoft scenario all', date: '2026-12-06' });
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/class="fault-window"/g)).toHaveLength(2);
    expect(html).toContain('<table>');
    expect(html).toContain('command: failsoft scenario all');
    // no external script, style, image or font
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    // text is escaped
    expect(html).toContain('SIGKILL every likes instance &lt;b&gt;');
    expect(html).not.toContain('instance <b>');
  });
});
