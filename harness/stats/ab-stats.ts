/**
 * The statistics of an A/B comparison of one metric over repeated runs, all pure and seeded so a report can be
 * reproduced: medians, the ratio of B's median to A's with a bootstrap confidence interval, the Mann–Whitney U rank
 * test's two-sided p-value, and the verdict at a threshold.
 */

/** A small, fast, seeded PRNG (mulberry32): uniform in [0, 1). The same seed gives the same resamples. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface RatioInterval {
  /** median(B) / median(A). */
  ratio: number;
  low: number;
  high: number;
  level: number;
}

/**
 * The ratio of medians B/A with a percentile bootstrap interval: A and B each resampled with replacement, the ratio
 * of the resamples' medians taken `iterations` times. Resamples whose A median is 0 are left out (no ratio).
 */
export function bootstrapRatio(
  a: readonly number[],
  b: readonly number[],
  opts: { iterations?: number; seed?: number; level?: number } = {},
): RatioInterval {
  const iterations = opts.iterations ?? 10000;
  const level = opts.level ?? 0.95;
  const rnd = seededRandom(opts.seed ?? 1);
  const resample = (xs: readonly number[]) => xs.map(() => xs[Math.floor(rnd() * xs.length)]!);
  const ratios: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const ma = median(resample(a));
    if (ma !== 0) ratios.push(median(resample(b)) / ma);
  }
  ratios.sort((x, y) => x - y);
  const ma = median(a);
  return {
    ratio: ma === 0 ? NaN : median(b) / ma,
    low: ratios.length ? quantile(ratios, (1 - level) / 2) : NaN,
    high: ratios.length ? quantile(ratios, 1 - (1 - level) / 2) : NaN,
    level,
  };
}

/** Mid-ranks of the pooled samples (ties share their average rank). */
function ranks(pooled: readonly number[]): number[] {
  const order = pooled.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(pooled.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]!.v === order[i]!.v) j++;
    for (let k = i; k <= j; k++) out[order[k]!.i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/**
 * Pure: the exact permutation distribution of A's rank sum, ties included. Every choice of n1 of the pooled values as
 * "A" is equally likely under no difference; ranks are doubled so mid-ranks of ties stay integers. Returns
 * counts[s] = the number of choices whose doubled rank sum is s (as doubles: only their ratios matter).
 */
function rankSumCounts(doubledRanks: readonly number[], n1: number): number[] {
  const max = doubledRanks.reduce((s, x) => s + x, 0);
  // f[k][s]: choices of k values among those seen so far with doubled rank sum s.
  const f = Array.from({ length: n1 + 1 }, () => new Array<number>(max + 1).fill(0));
  f[0]![0] = 1;
  let seen = 0;
  for (const d of doubledRanks) {
    seen += d;
    for (let k = n1; k >= 1; k--) {
      const to = f[k]!;
      const from = f[k - 1]!;
      for (let s = seen; s >= d; s--) if (from[s - d]) to[s] = to[s]! + from[s - d]!;
    }
  }
  return f[n1]!;
}

/** The standard normal's upper tail. */
function normalUpper(z: number): number {
  // Abramowitz–Stegun 7.1.26 on erfc, accurate to about 1e-7: enough for a p-value.
  const x = Math.abs(z) / Math.SQRT2;
  if (x === 0) return 0.5; // the approximation gives 0.4999999995 there: p must be exactly 1 for no difference
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

export interface RankTest {
  /** U of sample A: the pairs (a, b) with a > b, ties counting a half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * The Mann–Whitney U test, two-sided. Exact up to 60 values in all, ties included (the permutation distribution of the
 * mid-rank sum: the normal approximation gave p = 0.19 for [16, 16] against [17, 17], where only 6 splits exist and
 * the truth is 1/3); beyond, the normal approximation with the tie correction and a continuity correction. With 3 runs a
 * side the smallest possible p is 0.1: no difference can be significant at 0.05 with fewer than 4 a side.
 */
const EXACT_UP_TO = 60;

export function mannWhitney(a: readonly number[], b: readonly number[]): RankTest {
  const n1 = a.length;
  const n2 = b.length;
  if (!n1 || !n2) return { u: NaN, p: 1, method: 'exact' };
  const r = ranks([...a, ...b]);
  const rankSumA = r.slice(0, n1).reduce((s, x) => s + x, 0);
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  if (n1 + n2 <= EXACT_UP_TO) {
    const doubled = r.map((x) => Math.round(2 * x));
    const counts = rankSumCounts(doubled, n1);
    const observed = doubled.slice(0, n1).reduce((s, x) => s + x, 0);
    const total = counts.reduce((s, x) => s + x, 0);
    const below = counts.slice(0, observed + 1).reduce((s, x) => s + x, 0) / total;
    const above = counts.slice(observed).reduce((s, x) => s + x, 0) / total;
    return { u, p: Math.min(1, 2 * Math.min(below, above)), method: 'exact' };
  }
  const n = n1 + n2;
  const tieGroups = new Map<number, number>();
  for (const x of r) tieGroups.set(x, (tieGroups.get(x) ?? 0) + 1);
  const tieTerm = [...tieGroups.values()].reduce((s, t) => s + (t ** 3 - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const mean = (n1 * n2) / 2;
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * normalUpper(z)), method: 'normal' };
}

/** Which way is worse for a metric: more CPU time is, fewer accesses per second are. */
export type Better = 'higher' | 'lower';

export type Verdict = 'slower' | 'faster' | 'no detectable change';

export interface MetricComparison {
  medianA: number;
  medianB: number;
  interval: RatioInterval;
  rankTest: RankTest;
  verdict: Verdict;
  /** Why the verdict is what it is, one line. */
  why: string;
}

/**
 * Pure: B against A for one metric. "slower" (worse: B regressed) or "faster" (better) only when the rank test finds a
 * difference (p < alpha) and the whole confidence interval of B/A lies past the threshold on that side; anything less
 * is "no detectable change", saying which of the two fell short.
 */
export function compareMetric(
  a: readonly number[],
  b: readonly number[],
  opts: { better: Better; threshold?: number; alpha?: number; seed?: number; iterations?: number },
): MetricComparison {
  const threshold = opts.threshold ?? 0.05;
  const alpha = opts.alpha ?? 0.05;
  const interval = bootstrapRatio(a, b, {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}),
  });
  const rankTest = mannWhitney(a, b);
  const up = interval.low > 1 + threshold;
  const down = interval.high < 1 - threshold;
  const pct = `${Math.round(threshold * 100)}%`;
  let verdict: Verdict = 'no detectable change';
  let why: string;
  if (Number.isNaN(interval.ratio)) why = 'A’s median is 0: no ratio';
  else if (rankTest.p >= alpha) why = `rank test p = ${rankTest.p.toFixed(3)} ≥ ${alpha}`;
  else if (!up && !down) why = `p = ${rankTest.p.toFixed(3)}, but the interval reaches within ${pct} of no change`;
  else {
    const worse = opts.better === 'lower' ? up : down;
    verdict = worse ? 'slower' : 'faster';
    why = `p = ${rankTest.p.toFixed(3)}, the whole interval ${up ? 'above' : 'below'} ${up ? 1 + threshold : 1 - threshold}`;
  }
  return { medianA: median(a), medianB: median(b), interval, rankTest, verdict, why };
}
