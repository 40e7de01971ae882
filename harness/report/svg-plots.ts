import { xmlEscape as esc } from './junit-writer.js';

/** One DAMON snapshot: when it was taken and its regions. */
export interface RegionSnapshot {
  seconds: number;
  regions: ReadonlyArray<{ start: bigint; end: bigint; nrAccesses: number }>;
}

const W = 720;
const H = 320;
const PAD = { left: 70, right: 20, top: 20, bottom: 40 };

/** White → dark red by access frequency (0..1). */
function heat(x: number): string {
  const v = Math.max(0, Math.min(1, x));
  const r = Math.round(255 - 75 * v);
  const g = Math.round(255 - 235 * v);
  const b = Math.round(255 - 235 * v);
  return `rgb(${r},${g},${b})`;
}

/**
 * Pure: a heatmap of DAMON regions over time (x: time, y: address, colour: nr_accesses). The address
 * axis is the monitored space with the unmonitored gaps between regions cut out, so the few hundred MiB
 * that matter in a 128 TiB virtual address space are not squashed to a line.
 */
export function regionHeatmapSvg(
  snaps: readonly RegionSnapshot[],
  title: string,
  truth: ReadonlyArray<[bigint, bigint]> = [],
): string {
  const spans = new Map<string, [bigint, bigint]>();
  for (const s of snaps) for (const r of s.regions) spans.set(`${r.start}`, [r.start, r.end]);
  // Merge every region of every snapshot into the monitored extent, then give each byte of it a y.
  const sorted = [...spans.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const extent: Array<[bigint, bigint]> = [];
  for (const [s, e] of sorted) {
    const last = extent[extent.length - 1];
    if (last && s <= last[1]) last[1] = e > last[1] ? e : last[1];
    else extent.push([s, e]);
  }
  const total = extent.reduce((n, [s, e]) => n + Number(e - s), 0) || 1;
  const offsetOf = (addr: bigint): number => {
    let off = 0;
    for (const [s, e] of extent) {
      if (addr < s) return off;
      if (addr <= e) return off + Number(addr - s);
      off += Number(e - s);
    }
    return off;
  };
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const tMax = Math.max(...snaps.map((s) => s.seconds), 0.001);
  const maxAcc = Math.max(1, ...snaps.flatMap((s) => s.regions.map((r) => r.nrAccesses)));
  const y = (addr: bigint) => PAD.top + plotH - (offsetOf(addr) / total) * plotH;
  const rects: string[] = [];
  snaps.forEach((s, i) => {
    const x0 = PAD.left + (i === 0 ? 0 : snaps[i - 1]!.seconds / tMax) * plotW;
    const x1 = PAD.left + (s.seconds / tMax) * plotW;
    for (const r of s.regions) {
      const top = y(r.end);
      const h = Math.max(0.5, y(r.start) - top);
      rects.push(
        `<rect x="${x0.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0.5, x1 - x0).toFixed(1)}" height="${h.toFixed(1)}" fill="${heat(r.nrAccesses / maxAcc)}"/>`,
      );
    }
  });
  const truthMarks = truth.map(
    ([s, e]) =>
      `<rect x="${PAD.left - 8}" y="${y(e).toFixed(1)}" width="5" height="${Math.max(1, y(s) - y(e)).toFixed(1)}" fill="#1565c0"><title>known hot range</title></rect>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<text x="${PAD.left}" y="14" font-size="13">${esc(title)}</text>
<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>
${rects.join('\n')}
${truthMarks.join('\n')}
<text x="${PAD.left + plotW / 2}" y="${H - 8}" text-anchor="middle">time (s), 0 – ${tMax.toFixed(1)}</text>
<text x="14" y="${PAD.top + plotH / 2}" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">address (monitored, gaps cut)</text>
<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">colour: nr_accesses (max ${maxAcc})</text>
</svg>`;
}

/** Pure: a line chart of a series over time with a shaded target band (e.g. DRAM share ±2 points). */
export function lineWithBandSvg(
  points: ReadonlyArray<[number, number]>,
  title: string,
  band: { low: number; high: number; target: number },
  yLabel: string,
  yRange: [number, number],
): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const tMax = Math.max(...points.map((p) => p[0]), 0.001);
  const [y0, y1] = yRange;
  const x = (t: number) => PAD.left + (t / tMax) * plotW;
  const y = (v: number) => PAD.top + plotH - ((v - y0) / (y1 - y0 || 1)) * plotH;
  const path = points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<text x="${PAD.left}" y="14" font-size="13">${esc(title)}</text>
<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>
<rect x="${PAD.left}" y="${y(band.high).toFixed(1)}" width="${plotW}" height="${Math.max(1, y(band.low) - y(band.high)).toFixed(1)}" fill="#c8e6c9"><title>target band</title></rect>
<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(band.target).toFixed(1)}" y2="${y(band.target).toFixed(1)}" stroke="#2e7d32" stroke-dasharray="4 3"/>
<path d="${path}" fill="none" stroke="#b71c1c" stroke-width="1.5"/>
<text x="${PAD.left - 6}" y="${y(y1) + 4}" text-anchor="end">${y1}</text>
<text x="${PAD.left - 6}" y="${y(y0)}" text-anchor="end">${y0}</text>
<text x="${PAD.left + plotW / 2}" y="${H - 8}" text-anchor="middle">time (s), 0 – ${tMax.toFixed(1)}</text>
<text x="14" y="${PAD.top + plotH / 2}" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">${esc(yLabel)}</text>
</svg>`;
}

/**
 * Pure: two samples side by side (A left, B right), each run a point, each median a bar; the ratio B/A and its
 * interval written under the title. Points of equal value are spread sideways so none hides another.
 */
export function twoSamplesSvg(
  title: string,
  a: readonly number[],
  b: readonly number[],
  unit: string,
  note: string,
): string {
  const w = 360;
  const h = 240;
  const pad = { left: 64, right: 16, top: 40, bottom: 28 };
  const all = [...a, ...b];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || Math.abs(hi) || 1;
  const [y0, y1] = [lo - span * 0.1, hi + span * 0.1];
  const plotH = h - pad.top - pad.bottom;
  const y = (v: number) => pad.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const colW = (w - pad.left - pad.right) / 2;
  const column = (xs: readonly number[], i: number, colour: string, label: string) => {
    const cx = pad.left + colW * i + colW / 2;
    const seen = new Map<number, number>();
    const dots = xs
      .map((v) => {
        const k = seen.get(v) ?? 0;
        seen.set(v, k + 1);
        const dx = (k % 2 ? 1 : -1) * Math.ceil(k / 2) * 7;
        return `<circle cx="${(cx + dx).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${colour}" fill-opacity="0.7"><title>${v}</title></circle>`;
      })
      .join('');
    const sorted = [...xs].sort((p, q) => p - q);
    const m =
      sorted.length % 2
        ? sorted[sorted.length >> 1]!
        : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    return `${dots}<line x1="${cx - 28}" x2="${cx + 28}" y1="${y(m).toFixed(1)}" y2="${y(m).toFixed(1)}" stroke="${colour}" stroke-width="2.5"><title>median ${m}</title></line>
<text x="${cx}" y="${h - 10}" text-anchor="middle">${esc(label)} (n=${xs.length})</text>`;
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">
<text x="${pad.left}" y="14" font-size="13">${esc(title)}</text>
<text x="${pad.left}" y="30" fill="#555">${esc(note)}</text>
<rect x="${pad.left}" y="${pad.top}" width="${w - pad.left - pad.right}" height="${plotH}" fill="#fff" stroke="#999"/>
<text x="${pad.left - 6}" y="${y(hi) + 4}" text-anchor="end">${+hi.toPrecision(4)}</text>
<text x="${pad.left - 6}" y="${y(lo) + 4}" text-anchor="end">${+lo.toPrecision(4)}</text>
<text x="14" y="${pad.top + plotH / 2}" transform="rotate(-90 14 ${pad.top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>
${column(a, 0, '#1565c0', 'A')}
${column(b, 1, '#ef6c00', 'B')}
</svg>`;
}
