// Hand-written SVG charts: lines over days, stacked bars over days, horizontal bars for
// categories. Each has axes with labels, a <title> and <desc>, per-point tooltips, a legend
// and (in ChartCard) a data table for screen readers and exact numbers.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { strings } from '../i18n';
import { areaPath, compact, labelIndexes, linear, linePath, niceTicks } from './chartMath';
import { Table } from './shared';

const t = strings({
  showTable: ['Show data', '查看数据'],
  hideTable: ['Hide data', '隐藏数据'],
  noData: ['No data for this period', '此期间没有数据'],
});

export const PALETTE = ['#2f64d6', '#13855f', '#7a4bc2', '#b2512f', '#c23b6b', '#2d7f9c', '#8a6d0f', '#4b5bc2'];

export interface Series {
  name: string;
  values: number[];
  color?: string;
}

let chartSeq = 0;
function useChartId(): string {
  const [id] = useState(() => `admin-chart-${++chartSeq}`);
  return id;
}

const W = 960;
const M = { top: 14, right: 16, bottom: 30, left: 46 };

/** The figure every chart draws in: an SVG with its <title> and <desc>, then the legend. */
function ChartFrame({ title, desc, height, legend, children }: { title: string; desc: string; height: number; legend: Series[]; children: ComponentChildren }) {
  const id = useChartId();
  return (
    <figure class="admin-chart">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        {children}
      </svg>
      <Legend series={legend} />
    </figure>
  );
}

function Legend({ series }: { series: Series[] }) {
  if (series.length === 0) return null;
  return (
    <ul class="admin-legend">
      {series.map((s, i) => (
        <li key={s.name}>
          <span class="admin-legend-swatch" style={{ background: s.color ?? PALETTE[i % PALETTE.length] }} aria-hidden="true" />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

function YAxis({ ticks, y, width }: { ticks: number[]; y: (v: number) => number; width: number }) {
  return (
    <g class="admin-axis admin-axis-y" aria-hidden="true">
      {ticks.map((v) => (
        <g key={v}>
          <line x1={M.left} x2={width - M.right} y1={y(v)} y2={y(v)} class={v === 0 ? 'admin-axis-base' : 'admin-grid'} />
          <text x={M.left - 8} y={y(v)} dy="0.32em" text-anchor="end">
            {compact(v)}
          </text>
        </g>
      ))}
    </g>
  );
}

function XLabels({ labels, x, height }: { labels: string[]; x: (i: number) => number; height: number }) {
  const shown = labelIndexes(labels.length, 8);
  return (
    <g class="admin-axis admin-axis-x" aria-hidden="true">
      {shown.map((i) => (
        <text key={i} x={x(i)} y={height - M.bottom + 18} text-anchor={labels.length > 1 && i === labels.length - 1 ? 'end' : labels.length > 1 && i === 0 ? 'start' : 'middle'}>
          {labels[i]}
        </text>
      ))}
    </g>
  );
}

/** Lines over a shared x axis of labels (days). The first series may be filled. */
export function LineChart({ title, desc, labels, series, height = 240, area = true }: { title: string; desc: string; labels: string[]; series: Series[]; height?: number; area?: boolean }) {
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const ticks = niceTicks(max, 4);
  const y = linear(0, ticks[ticks.length - 1], height - M.bottom, M.top);
  const n = labels.length;
  const x = (i: number) => (n <= 1 ? (M.left + W - M.right) / 2 : M.left + (i * (W - M.left - M.right)) / (n - 1));
  const slot = n <= 1 ? W - M.left - M.right : (W - M.left - M.right) / (n - 1);
  return (
    <ChartFrame title={title} desc={desc} height={height} legend={series}>
      <YAxis ticks={ticks} y={y} width={W} />
      <XLabels labels={labels} x={x} height={height} />
      {series.map((s, si) => {
        const color = s.color ?? PALETTE[si % PALETTE.length];
        const pts = s.values.map((v, i) => [x(i), y(v)] as [number, number]);
        return (
          <g key={s.name} class="admin-series">
            {area && si === 0 && <path d={areaPath(pts, y(0))} fill={color} opacity="0.1" />}
            <path d={linePath(pts)} fill="none" stroke={color} stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />
            {n <= 45 && pts.map(([px, py], i) => <circle key={i} cx={px} cy={py} r="2.5" fill={color} />)}
          </g>
        );
      })}
      {labels.map((label, i) => (
        <g key={i} class="admin-hit">
          <rect x={x(i) - slot / 2} y={M.top} width={slot} height={height - M.top - M.bottom} fill="transparent" />
          <line x1={x(i)} x2={x(i)} y1={M.top} y2={height - M.bottom} class="admin-guide" />
          <title>{`${label}: ${series.map((s) => `${s.name} ${s.values[i] ?? 0}`).join(', ')}`}</title>
        </g>
      ))}
    </ChartFrame>
  );
}

/** Stacked bars over a shared x axis of labels (days). */
export function BarChart({ title, desc, labels, series, height = 240 }: { title: string; desc: string; labels: string[]; series: Series[]; height?: number }) {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const ticks = niceTicks(Math.max(0, ...totals), 4);
  const y = linear(0, ticks[ticks.length - 1], height - M.bottom, M.top);
  const n = Math.max(1, labels.length);
  const band = (W - M.left - M.right) / n;
  const barW = Math.max(1, Math.min(28, band * 0.7));
  const x = (i: number) => M.left + band * i + band / 2;
  return (
    <ChartFrame title={title} desc={desc} height={height} legend={series}>
      <YAxis ticks={ticks} y={y} width={W} />
      <XLabels labels={labels} x={x} height={height} />
      {labels.map((label, i) => {
        let base = 0;
        return (
          <g key={i} class="admin-bar">
            {series.map((s, si) => {
              const v = s.values[i] ?? 0;
              const top = y(base + v);
              const h = y(base) - top;
              base += v;
              return v > 0 ? <rect key={s.name} x={x(i) - barW / 2} y={top} width={barW} height={Math.max(0.5, h)} rx={barW > 6 ? 2 : 0} fill={s.color ?? PALETTE[si % PALETTE.length]} /> : null;
            })}
            <rect x={x(i) - band / 2} y={M.top} width={band} height={height - M.top - M.bottom} fill="transparent" class="admin-hit-rect" />
            <title>{`${label}: ${totals[i]}${series.length > 1 ? ` (${series.map((s) => `${s.name} ${s.values[i] ?? 0}`).join(', ')})` : ''}`}</title>
          </g>
        );
      })}
    </ChartFrame>
  );
}

/** Horizontal bars, one row per category, side by side per series. */
export function HBarChart({ title, desc, rows, series }: { title: string; desc: string; rows: { label: string; values: number[] }[]; series: { name: string; color?: string }[] }) {
  const labelW = 150;
  const barH = 12;
  const gap = 4;
  const rowH = series.length * (barH + gap) + 12;
  const height = M.top + rows.length * rowH + M.bottom;
  const max = Math.max(0, ...rows.flatMap((r) => r.values));
  const ticks = niceTicks(max, 4);
  // Room on the right for the value printed after the longest bar.
  const x = linear(0, ticks[ticks.length - 1], labelW, W - M.right - 36);
  return (
    <ChartFrame title={title} desc={desc} height={height} legend={series.map((s) => ({ ...s, values: [] }))}>
      <g class="admin-axis" aria-hidden="true">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={x(v)} x2={x(v)} y1={M.top} y2={height - M.bottom} class={v === 0 ? 'admin-axis-base' : 'admin-grid'} />
            <text x={x(v)} y={height - M.bottom + 18} text-anchor="middle">
              {compact(v)}
            </text>
          </g>
        ))}
      </g>
      {rows.map((r, ri) => {
        const top = M.top + ri * rowH + 6;
        return (
          <g key={r.label} class="admin-bar">
            <text x={labelW - 10} y={top + (series.length * (barH + gap)) / 2} dy="0.32em" text-anchor="end" class="admin-hbar-label">
              {r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label}
            </text>
            {series.map((s, si) => {
              const v = r.values[si] ?? 0;
              const yy = top + si * (barH + gap);
              return (
                <g key={s.name}>
                  <rect x={labelW} y={yy} width={Math.max(v > 0 ? 1.5 : 0, x(v) - labelW)} height={barH} rx="2" fill={s.color ?? PALETTE[si % PALETTE.length]} />
                  <text x={x(v) + 6} y={yy + barH / 2} dy="0.32em" class="admin-hbar-value">
                    {v}
                  </text>
                </g>
              );
            })}
            <title>{`${r.label}: ${series.map((s, si) => `${s.name} ${r.values[si] ?? 0}`).join(', ')}`}</title>
          </g>
        );
      })}
    </ChartFrame>
  );
}

/** A titled card around a chart with a "show data" table. */
export function ChartCard({
  title,
  hint,
  empty,
  table,
  children,
  testid,
}: {
  title: string;
  hint?: string;
  empty?: boolean;
  table: { head: string[]; rows: (string | number)[][] };
  children: ComponentChildren;
  testid?: string;
}) {
  const [showTable, setShowTable] = useState(false);
  return (
    <section class="panel admin-chart-card" data-testid={testid}>
      <header class="admin-chart-head">
        <div>
          <h3>{title}</h3>
          {hint && <p class="muted small">{hint}</p>}
        </div>
        {!empty && (
          <button type="button" class="btn btn-ghost btn-small" aria-expanded={showTable} onClick={() => setShowTable(!showTable)}>
            {showTable ? t('hideTable') : t('showTable')}
          </button>
        )}
      </header>
      {empty ? <p class="admin-chart-empty muted">{t('noData')}</p> : children}
      {showTable && !empty && (
        <Table wrapClass="admin-chart-table" columns={table.head}>
          {table.rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (j === 0 ? <th key={j} scope="row">{c}</th> : <td key={j}>{c}</td>))}
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
