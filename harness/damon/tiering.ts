/** Pure pieces of the tiering scenario: reading numa_maps and judging convergence. */

/** Pages per NUMA node of the mappings that overlap [start, end) in a /proc/<pid>/numa_maps text. */
export function nodePages(numaMaps: string, start: number, end: number): Map<number, number> {
  const pages = new Map<number, number>();
  for (const line of numaMaps.split('\n')) {
    const addr = Number.parseInt(line.split(' ')[0] ?? '', 16);
    if (!Number.isFinite(addr) || addr < start || addr >= end) continue;
    for (const m of line.matchAll(/\bN(\d+)=(\d+)/g)) pages.set(Number(m[1]), (pages.get(Number(m[1])) ?? 0) + Number(m[2]));
  }
  return pages;
}

/** Share of pages on `node` in basis points (0 when there are none). */
export function shareBp(pages: ReadonlyMap<number, number>, node: number): number {
  const total = [...pages.values()].reduce((a, b) => a + b, 0);
  return total ? Math.round(((pages.get(node) ?? 0) * 10000) / total) : 0;
}

export interface Convergence {
  /** Seconds until the share entered the band and stayed there for the rest of the run; undefined if never. */
  convergeSeconds?: number;
  /** Over the samples after convergence (or the last half when it never converged): mean |error| and stddev, in percentage points. */
  meanErrorPp: number;
  stddevPp: number;
  samples: number;
}

/** Pure: convergence of (seconds, share %) samples to target % within ±band percentage points. */
export function judgeConvergence(samples: ReadonlyArray<[number, number]>, targetPct: number, bandPp: number): Convergence {
  let from = samples.length;
  for (let i = samples.length - 1; i >= 0; i--) {
    if (Math.abs(samples[i]![1] - targetPct) <= bandPp) from = i;
    else break;
  }
  const converged = from < samples.length && from < samples.length - 1;
  const steady = converged ? samples.slice(from) : samples.slice(Math.floor(samples.length / 2));
  const errors = steady.map(([, v]) => v - targetPct);
  const mean = errors.reduce((a, b) => a + Math.abs(b), 0) / (errors.length || 1);
  const avg = steady.reduce((a, [, v]) => a + v, 0) / (steady.length || 1);
  const sd = Math.sqrt(steady.reduce((a, [, v]) => a + (v - avg) ** 2, 0) / (steady.length || 1));
  return {
    ...(converged ? { convergeSeconds: samples[from]![0] } : {}),
    meanErrorPp: Math.round(mean * 100) / 100,
    stddevPp: Math.round(sd * 100) / 100,
    samples: steady.length,
  };
}
