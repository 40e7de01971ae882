// The A/B statistics on samples with known answers: exact rank-test p-values from the tables (and scipy's), the
// normal approximation with ties, the seeded bootstrap reproducible, and the three verdicts: identical samples no
// change, a 20% shift with little noise detected (its direction by what "better" means), heavy noise not.
import t from 'tap';
import { bootstrapRatio, compareMetric, mannWhitney, median, seededRandom } from '../../harness/stats/ab-stats.js';

/** Seeded normal samples (Box–Muller). */
function normal(n: number, mean: number, sd: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

t.test('median and the seeded generator', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.ok(Number.isNaN(median([])));
  const a = seededRandom(7);
  const b = seededRandom(7);
  const xs = Array.from({ length: 5 }, () => a());
  t.same(
    Array.from({ length: 5 }, () => b()),
    xs,
    'the same seed, the same numbers',
  );
  t.ok(xs.every((x) => x >= 0 && x < 1));
});

t.test('Mann–Whitney U: exact p-values with known answers', async (t) => {
  t.same(
    mannWhitney([1, 2, 3], [4, 5, 6]),
    { u: 0, p: 0.1, method: 'exact' },
    '3 a side: 2/20, the smallest p there is',
  );
  t.equal(mannWhitney([1, 2, 3, 4], [5, 6, 7, 8]).p.toFixed(4), (2 / 70).toFixed(4));
  t.equal(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p.toFixed(6), '0.007937', 'scipy: 2/252');
  t.equal(mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).u, 25, 'U of A: pairs where A is larger');
  // scipy.stats.mannwhitneyu([1,3,5,7],[2,4,6,8], method='exact') -> U=6, p=0.6857
  t.equal(mannWhitney([1, 3, 5, 7], [2, 4, 6, 8]).p.toFixed(4), '0.6857');
});

/** Independent of the code under test: every split of the pooled values into n1 + n2, by enumeration. */
function bruteForceP(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const rank = (v: number) => {
    const lower = pooled.filter((x) => x < v).length;
    const equal = pooled.filter((x) => x === v).length;
    return lower + (equal + 1) / 2;
  };
  const sumOf = (idx: number[]) => idx.reduce((s, i) => s + rank(pooled[i]!), 0);
  const observed = sumOf(a.map((_, i) => i));
  const sums: number[] = [];
  const pick = (from: number, chosen: number[]) => {
    if (chosen.length === a.length) return void sums.push(sumOf(chosen));
    for (let i = from; i < pooled.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  const below = sums.filter((x) => x <= observed + 1e-9).length / sums.length;
  const above = sums.filter((x) => x >= observed - 1e-9).length / sums.length;
  return Math.min(1, 2 * Math.min(below, above));
}

t.test('Mann–Whitney U: ties are exact too (the permutation distribution of mid-ranks)', async (t) => {
  t.same(mannWhitney([5, 5, 5], [5, 5, 5]), { u: 4.5, p: 1, method: 'exact' }, 'all tied: nothing to tell apart');
  // Two runs a side, each side tied: 6 splits, 2 as extreme as this one. The normal approximation said 0.19.
  t.equal(mannWhitney([16, 16], [17, 17]).p, 1 / 3);
  t.equal(mannWhitney([1, 2, 2, 3, 4], [3, 4, 5, 5, 6]).u, 2);
  const rnd = seededRandom(7);
  for (let k = 0; k < 25; k++) {
    const n1 = 2 + Math.floor(rnd() * 5);
    const n2 = 2 + Math.floor(rnd() * 5);
    // Few distinct values: many ties, as counters (regions, nr_accesses) give.
    const a = Array.from({ length: n1 }, () => Math.floor(rnd() * 4));
    const b = Array.from({ length: n2 }, () => Math.floor(rnd() * 4) + (k % 3));
    t.equal(mannWhitney(a, b).p.toFixed(10), bruteForceP(a, b).toFixed(10), `[${a}] against [${b}]`);
  }
});

t.test('Mann–Whitney U: beyond 60 values, the normal approximation with the tie correction', async (t) => {
  const a = Array.from({ length: 35 }, (_, i) => i % 7);
  const same = mannWhitney(a, [...a]);
  t.same([same.method, same.p], ['normal', 1]);
  // By hand: all 35 of A below all 35 of B; U = 0 against a mean of 612.5. With 14 tie groups of 5:
  // variance = 1225/12 · (71 − 14·120/(70·69)) = 7212.5; z = (612.5 − 0.5)/84.93 = 7.21: p far below 1e-6.
  const shifted = mannWhitney(
    a,
    a.map((x) => x + 7),
  );
  t.equal(shifted.method, 'normal');
  t.equal(shifted.u, 0);
  t.ok(shifted.p < 1e-6, `p = ${shifted.p}`);
});

t.test('the bootstrap interval: around the true ratio, reproducible with its seed', async (t) => {
  const a = normal(10, 100, 1, 1);
  const b = normal(10, 120, 1, 2);
  const i = bootstrapRatio(a, b, { seed: 42 });
  t.ok(i.low < i.ratio && i.ratio < i.high, 'the point estimate inside');
  t.ok(i.low > 1.17 && i.high < 1.23, `a 20% shift with 1% noise: [${i.low}, ${i.high}]`);
  t.same(bootstrapRatio(a, b, { seed: 42 }), i, 'the same seed, the same interval');
  const other = bootstrapRatio(a, b, { seed: 43 });
  t.ok(other.low > 1.17 && other.high < 1.23, 'another seed: other resamples, the same answer');
  t.ok(Number.isNaN(bootstrapRatio([0, 0], [1, 2]).ratio), 'A’s median 0: no ratio');
});

t.test('verdicts: identical, shifted by 20% with low noise, heavy noise', async (t) => {
  const a = normal(8, 100, 1, 3);
  const same = compareMetric(a, [...a], { better: 'lower', seed: 1 });
  t.equal(same.verdict, 'no detectable change');
  t.match(same.why, /p = 1\.000 ≥ 0\.05/);
  const up = normal(8, 120, 1, 4);
  const cpu = compareMetric(a, up, { better: 'lower', seed: 1 });
  t.equal(cpu.verdict, 'slower', 'more CPU time: a regression');
  t.ok(cpu.rankTest.p < 0.001);
  t.ok(cpu.interval.low > 1.05);
  t.equal(compareMetric(a, up, { better: 'higher', seed: 1 }).verdict, 'faster', 'more accesses per second: better');
  t.equal(compareMetric(up, a, { better: 'higher', seed: 1 }).verdict, 'slower', 'fewer accesses per second: worse');
  const noisy = compareMetric(normal(8, 100, 50, 5), normal(8, 100, 50, 6), { better: 'lower', seed: 1 });
  t.equal(noisy.verdict, 'no detectable change', 'heavy noise: nothing claimed');
  // A real but small change: found by the rank test, inside the threshold.
  const small = compareMetric(a, normal(8, 102, 0.3, 7), { better: 'lower', seed: 1 });
  t.equal(small.verdict, 'no detectable change');
  t.match(small.why, /reaches within 5% of no change/);
  t.equal(
    compareMetric(a, normal(8, 102, 0.3, 7), { better: 'lower', seed: 1, threshold: 0.002 }).verdict,
    'slower',
    'the same change past a 0.2% threshold',
  );
  t.equal(
    compareMetric([1, 2, 3], [10, 11, 12], { better: 'lower', seed: 1 }).verdict,
    'no detectable change',
    '3 runs a side can never reach p < 0.05',
  );
});
