// Small inline-SVG sparklines of the gateway's traffic (no chart library, no CDN).

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 180;
const HEIGHT = 40;

/** The charted traffic classes, in display order. */
export const CHARTS = [
  { key: 'requests', label: 'Requests' },
  { key: 'success', label: 'Success' },
  { key: 'degraded', label: 'Degraded' },
  { key: 'error', label: 'Errors (5xx)' },
];

/**
 * The `points` attribute of a polyline drawing `values` (per-second counts) in the chart box,
 * scaled to the largest value (at least 1 so an idle chart is a flat line at the bottom).
 * @param {readonly number[]} values
 * @returns {string}
 */
export function sparklinePoints(values) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 2 - (v / max) * (HEIGHT - 4)).toFixed(1)}`).join(' ');
}

/**
 * Builds the charts into `container` once; returns an update function taking the snapshot's
 * `traffic` ({ counts, perSecond, rateWindowS }).
 * @param {HTMLElement} container
 * @returns {(traffic: { counts: Record<string, number[]>, perSecond: Record<string, number>, rateWindowS: number }) => void}
 */
export function createCharts(container) {
  const parts = CHARTS.map(({ key, label }) => {
    const figure = document.createElement('figure');
    figure.className = `chart chart-${key}`;
    figure.dataset.chart = key;
    const caption = document.createElement('figcaption');
    const name = document.createElement('span');
    name.className = 'chart-label';
    name.textContent = label;
    const value = document.createElement('span');
    value.className = 'chart-value';
    value.dataset.role = 'value';
    caption.append(name, value);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.classList.add('sparkline');
    const title = document.createElementNS(SVG, 'title');
    svg.append(title);
    const base = document.createElementNS(SVG, 'line');
    base.setAttribute('x1', '0');
    base.setAttribute('x2', String(WIDTH));
    base.setAttribute('y1', String(HEIGHT - 1));
    base.setAttribute('y2', String(HEIGHT - 1));
    base.classList.add('baseline');
    const line = document.createElementNS(SVG, 'polyline');
    line.classList.add('line');
    svg.append(base, line);
    figure.append(caption, svg);
    container.append(figure);
    return { key, label, value, title, line, svg };
  });
  return (traffic) => {
    for (const part of parts) {
      const values = traffic.counts[part.key] ?? [];
      const rate = traffic.perSecond[part.key] ?? 0;
      const peak = Math.max(0, ...values);
      part.value.textContent = `${rate.toFixed(1)}/s`;
      part.line.setAttribute('points', sparklinePoints(values));
      const text = `${part.label}: ${rate.toFixed(1)} per second over the last ${traffic.rateWindowS} s; peak ${peak} in one second over the last minute`;
      part.title.textContent = text;
      part.svg.setAttribute('aria-label', text);
    }
  };
}
