/**
 * Inline SVG charts for the HTML report: lines over time and stacked shares over time, with the drill's
 * phases shaded behind them. Plain strings, no script and no external file, so the report opens from
 * disk anywhere and prints as it looks.
 */
import { formatDurationMs } from './duration.js';

export interface ChartFrame {
  /** Scenario-time span of the x axis. */
  durationMs: number;
  phases: { name: string; startMs: number; endMs: number }[];
}

export interface LineSeries {
  name: string;
  color: string;
  /** [scenario ms, value]; null values break the line. */
  points: [number, number | null][];
  dashed?: boolean;
}

export interface StackedSeries {
  name: string;
  color: string;
  /** One share per x position, 0..1. */
  values: number[];
}

const W = 920;
const H = 240;
const M = { left: 56, right: 16, top: 36, bottom: 34 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;
// Round steps for the time axis, so ticks read 15m, 30m, 45m rather than 18m45s.
const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const x = (frame: ChartFrame, ms: number): number => M.left + (frame.durationMs === 0 ? 0 : (ms / frame.durationMs) * PLOT_W);
const y = (value: number, min: number, max: number): number => M.top + PLOT_H - ((value - min) / (max - min || 1)) * PLOT_H;
const f = (n: number): string => n.toFixed(1);

function frameSvg(frame: ChartFrame, yTicks: { value: number; label: string }[], min: number, max: number): string {
  const parts: string[] = [];
  frame.phases.forEach((p, i) => {
    const x0 = x(frame, p.startMs);
    const x1 = x(frame, p.endMs);
    parts.push(`<rect class="phase" x="${f(x0)}" y="${M.top}" width="${f(Math.max(0, x1 - x0))}" height="${PLOT_H}" fill="${i % 2 === 0 ? '#f4f6f8' : '#e9edf1'}"><title>${escapeXml(p.name)}</title></rect>`);
    if (x1 - x0 > 40) parts.push(`<text x="${f(x0 + 3)}" y="${M.top - 6}" font-size="10" fill="#555">${escapeXml(p.name.length * 5.5 > x1 - x0 ? `${p.name.slice(0, Math.max(3, Math.floor((x1 - x0) / 5.5) - 1))}…` : p.name)}</text>`);
  });
  for (const t of yTicks) {
    const ty = y(t.value, min, max);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(ty)}" y2="${f(ty)}" stroke="#ccc" stroke-width="0.5"/><text x="${M.left - 6}" y="${f(ty + 3)}" font-size="10" text-anchor="end" fill="#555">${escapeXml(t.label)}</text>`);
  }
  const stepMs = TICK_STEPS_MS.find((step) => frame.durationMs / step <= 10) ?? frame.durationMs / 10;
  for (let i = 0; i * stepMs <= frame.durationMs && i <= 100; i++) {
    const ms = i * stepMs;
    parts.push(`<text x="${f(x(frame, ms))}" y="${H - M.bottom + 14}" font-size="10" text-anchor="middle" fill="#555">${escapeXml(formatDurationMs(ms))}</text>`);
  }
  parts.push(`<text x="${W - M.right}" y="${H - 4}" font-size="10" text-anchor="end" fill="#777">scenario time</text>`);
  return parts.join('');
}

function legend(items: { name: string; color: string }[]): string {
  let lx = M.left;
  return items
    .map((item) => {
      const out = `<rect x="${f(lx)}" y="4" width="10" height="10" fill="${item.color}"/><text x="${f(lx + 14)}" y="13" font-size="11" fill="#333">${escapeXml(item.name)}</text>`;
      lx += 24 + item.name.length * 6.5;
      return out;
    })
    .join('');
}

/** Lines over time; `yMax` undefined scales to the data. */
export function lineChart(id: string, title: string, frame: ChartFrame, series: LineSeries[], options: { yMin?: number; yMax?: number; format: (v: number) => string }): string {
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null);
  const min = options.yMin ?? Math.min(0, ...values);
  const max = options.yMax ?? Math.max(1, ...values) * 1.05;
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((q) => ({ value: min + q * (max - min), label: options.format(min + q * (max - min)) }));
  const paths = series.map((s) => {
    let d = '';
    let pen = false;
    for (const [ms, v] of s.points) {
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(x(frame, ms))},${f(y(Math.min(max, Math.max(min, v)), min, max))}`;
      pen = true;
    }
    return `<path class="series" data-series="${escapeXml(s.name)}" data-points="${s.points.filter(([, v]) => v !== null).length}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed === true ? ' stroke-dasharray="5 3"' : ''}/>`;
  });
  return svg(id, title, frameSvg(frame, yTicks, min, max) + paths.join('') + legend(series));
}

/** Shares stacked to 100% over time; position i spans [xs[i], xs[i+1]). */
export function stackedChart(id: string, title: string, frame: ChartFrame, xs: number[], series: StackedSeries[]): string {
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ value: v, label: `${v * 100}%` }));
  const base = xs.map(() => 0);
  const areas = series.map((s) => {
    let d = '';
    s.values.forEach((v, i) => {
      const x0 = x(frame, xs[i]!);
      const x1 = x(frame, xs[i + 1] ?? frame.durationMs);
      const y0 = y(base[i]!, 0, 1);
      const y1 = y(base[i]! + v, 0, 1);
      if (v > 0) d += `M${f(x0)},${f(y0)}L${f(x0)},${f(y1)}L${f(x1)},${f(y1)}L${f(x1)},${f(y0)}Z`;
      base[i] = base[i]! + v;
    });
    return `<path class="series" data-series="${escapeXml(s.name)}" data-points="${s.values.filter((v) => v > 0).length}" d="${d}" fill="${s.color}" stroke="none"/>`;
  });
  return svg(id, title, frameSvg(frame, yTicks, 0, 1) + areas.join('') + legend(series));
}

function svg(id: string, title: string, body: string): string {
  return `<figure><figcaption>${escapeXml(title)}</figcaption><svg data-chart="${escapeXml(id)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">${body}</svg></figure>`;
}
