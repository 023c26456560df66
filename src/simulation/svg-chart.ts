/**
 * A tiny SVG line-chart writer (no dependency): one `<path>` per series over a shared x axis, axes with ~5 "nice"
 * ticks, a title, axis labels and a legend. Non-finite values break a line (a new `M` segment). The output is a
 * standalone SVG 1.1 document; text is XML-escaped.
 */

export interface LineSeries {
  name: string;
  values: readonly number[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x of each value index (same length as every series). */
  x: readonly number[];
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Force the y range to include 0 (default true for non-negative data). */
  includeZero?: boolean;
}

/** A colour-blind-safe palette (Okabe–Ito), cycled. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Up to ~`count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
const n2 = (v: number) => v.toFixed(2);

export function lineChartSvg(c: LineChart): string {
  const W = c.width ?? 720;
  const H = c.height ?? 400;
  const m = { left: 64, right: 160, top: 40, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const finite = c.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if ((c.includeZero ?? lo >= 0) && lo > 0) lo = 0;
  if (hi === lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const yt = niceTicks(lo, hi);
  lo = Math.min(lo, yt[0]);
  hi = Math.max(hi, yt[yt.length - 1]);
  const x0 = c.x.length ? Math.min(...c.x) : 0;
  const x1 = c.x.length ? Math.max(...c.x) : 1;
  const sx = (v: number) => m.left + (x1 > x0 ? ((v - x0) / (x1 - x0)) * pw : pw / 2);
  const sy = (v: number) => m.top + ph - ((v - lo) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(c.title)}</text>`);
  out.push(`<g stroke="#dddddd" stroke-width="1">`);
  for (const v of yt) out.push(`<line x1="${m.left}" y1="${n2(sy(v))}" x2="${m.left + pw}" y2="${n2(sy(v))}"/>`);
  out.push(`</g>`);
  out.push(`<g stroke="#333333" stroke-width="1"><line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}"/></g>`);
  out.push(`<g fill="#333333">`);
  for (const v of yt) out.push(`<text x="${m.left - 6}" y="${n2(sy(v) + 4)}" text-anchor="end">${escapeXml(fmt(v))}</text>`);
  const xt = c.x.length <= 15 ? [...c.x] : niceTicks(x0, x1, 8);
  for (const v of xt) out.push(`<text x="${n2(sx(v))}" y="${m.top + ph + 18}" text-anchor="middle">${escapeXml(fmt(v))}</text>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(c.yLabel)}</text>`);
  out.push(`</g>`);
  c.series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v) || i >= c.x.length) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${n2(sx(c.x[i]))} ${n2(sy(v))} `;
      pen = true;
    });
    out.push(`<path d="${d.trim() || `M${m.left} ${m.top + ph}`}" fill="none" stroke="${colour}" stroke-width="2" data-series="${escapeXml(s.name)}"/>`);
    const ly = m.top + 10 + k * 20;
    out.push(`<line x1="${m.left + pw + 16}" y1="${ly}" x2="${m.left + pw + 40}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw + 46}" y="${ly + 4}" fill="#333333">${escapeXml(s.name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
