// Arithmetic behind the hand-written SVG charts: "nice" axis ticks, scales, which labels to
// show along a crowded axis, and SVG path text. Pure, so it is tested without a DOM.

/** Round tick values covering [0, max] (charts of counts start at zero). */
export function niceTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / Math.max(1, count);
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  const residual = rough / magnitude;
  let step: number;
  if (residual <= 1) step = magnitude;
  else if (residual <= 2) step = 2 * magnitude;
  else if (residual <= 2.5) step = 2.5 * magnitude;
  else if (residual <= 5) step = 5 * magnitude;
  else step = 10 * magnitude;
  // Counts are whole: never step by less than one.
  step = Math.max(1, step);
  if (!Number.isInteger(step)) step = Math.ceil(step);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return ticks;
}

/** A linear map from [d0, d1] onto [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Indexes of the labels to draw along an axis of `n` slots so that at most `max` show, always the last. */
export function labelIndexes(n: number, max: number): number[] {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil(n / Math.max(1, max));
  const out: number[] = [];
  // Count back from the last so the newest day is always labelled.
  for (let i = n - 1; i >= 0; i -= step) out.unshift(i);
  return out;
}

/** An SVG path through points (a polyline). */
export function linePath(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${round(x)},${round(y)}`).join(' ');
}

/** The same polyline closed down to `baseline`, for a filled area. */
export function areaPath(points: [number, number][], baseline: number): string {
  if (points.length === 0) return '';
  const first = points[0];
  const last = points[points.length - 1];
  return `${linePath(points)} L${round(last[0])},${round(baseline)} L${round(first[0])},${round(baseline)} Z`;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Compact numbers for axis labels: 950, 1.2k, 34k, 1.5M. */
export function compact(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${trim(v / 1e6)}M`;
  if (abs >= 1e3) return `${trim(v / 1e3)}k`;
  return String(Math.round(v * 100) / 100);
}

function trim(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** `YYYY-MM-DD` → a UTC Date (the analytics' days are UTC days). */
export function utcDate(date: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, (m || 1) - 1, d || 1));
}
