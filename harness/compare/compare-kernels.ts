import type { TestRecord } from '../results/model.js';
import type { RunSummary } from '../run/run-summary.js';
import { compareSamples, collectSamples, regressions, splitRuns, type MetricResult } from '../ab/ab-samples.js';
import { compareRuns, pairMetrics, worstOf, type MetricPair, type StatusChange } from './compare-runs.js';

export type { MetricPair } from './compare-runs.js';

/** A cell of one kernel against the same guest and suite on the matrix's baseline kernel. */
export interface CellAgainstBaseline {
  /** The compared cell's id, "<kernel>/<guest>/<suite>". */
  id: string;
  /** The baseline kernel's cell id. */
  baselineId: string;
  newFailures: StatusChange[];
  fixes: StatusChange[];
  otherChanges: StatusChange[];
  metrics: MetricPair[];
  /** Runs on each side that passed and so count as samples (with several runs a side). */
  counted?: { baseline: number; now: number };
  /** Every metric compared as `lab ab` does, when both sides have at least two counted runs. */
  stats?: MetricResult[];
}

/**
 * Pure: a cell's tests against the baseline kernel's cell of the same guest and suite: status changes
 * (as between two runs) and every metric both recorded in the same unit, with its difference. One run
 * each: a difference here is an observation, not a statistic.
 */
export function compareWithBaseline(
  ids: { id: string; baselineId: string },
  baseline: readonly TestRecord[],
  now: readonly TestRecord[],
): CellAgainstBaseline {
  const c = compareRuns(baseline, now);
  const metrics = pairMetrics(baseline, now);
  return { ...ids, newFailures: c.regressions, fixes: c.fixes, otherChanges: c.other, metrics };
}

/** Fewer counted runs a side than this and metrics are only set side by side, never tested. */
export const MIN_RUNS_FOR_STATS = 2;

/**
 * Pure: a cell's runs against its baseline's runs. Statuses as between two runs, each side's worst per test (a test
 * that failed in one run failed on that side); the metrics of the first runs side by side; and, when both sides have
 * at least two runs that passed, every metric tested as `lab ab` tests it (threshold a fraction, 0.05 for 5%).
 */
export function compareRunSets(
  ids: { id: string; baselineId: string },
  baseline: readonly RunSummary[],
  now: readonly RunSummary[],
  opts: { threshold: number },
): CellAgainstBaseline {
  const c = compareWithBaseline(ids, worstOf(baseline.map((r) => r.tests)), worstOf(now.map((r) => r.tests)));
  c.metrics = pairMetrics(baseline[0]?.tests ?? [], now[0]?.tests ?? []);
  if (baseline.length < 2 && now.length < 2) return c;
  const b = splitRuns(baseline).counted;
  const n = splitRuns(now).counted;
  c.counted = { baseline: b.length, now: n.length };
  if (b.length >= MIN_RUNS_FOR_STATS && n.length >= MIN_RUNS_FOR_STATS)
    c.stats = compareSamples(collectSamples(b, n), { threshold: opts.threshold, seed: 1 });
  return c;
}

/** Pure: the metric regressions of a comparison as one line each ("test metric: B/A 1.31 [1.12, 1.52], p=0.008"). */
export function metricRegressionLines(c: CellAgainstBaseline): string[] {
  return regressions(c.stats ?? []).map(
    (m) =>
      `${m.test} ${m.name}: ${m.medianA} → ${m.medianB} ${m.unit}, ×${m.interval.ratio.toFixed(3)} [${m.interval.low.toFixed(3)}, ${m.interval.high.toFixed(3)}], p=${m.rankTest.p.toFixed(3)}`,
  );
}

/** Pure: for each cell not on the baseline kernel, the baseline kernel's cell with the same guest and suite. */
export function baselinePairs<C extends { id: string; kernel: string; guest: string; suite: string }>(
  cells: readonly C[],
  baselineKernel: string,
): Array<{ cell: C; baseline: C }> {
  const out: Array<{ cell: C; baseline: C }> = [];
  for (const cell of cells) {
    if (cell.kernel === baselineKernel) continue;
    const baseline = cells.find((b) => b.kernel === baselineKernel && b.guest === cell.guest && b.suite === cell.suite);
    if (baseline) out.push({ cell, baseline });
  }
  return out;
}
