import type { Metric, TestRecord } from '../results/model.js';
import { compareRuns, type StatusChange } from './compare-runs.js';

/** One metric of one test, on the baseline kernel and on the kernel compared with it. */
export interface MetricPair {
  /** The test the metric belongs to, e.g. "damon-accuracy.paddr_detects_hot_set". */
  test: string;
  name: string;
  unit: string;
  baseline: number;
  value: number;
  /** value - baseline, in the metric's unit. */
  delta: number;
  /** value / baseline; absent when the baseline is 0. */
  ratio?: number;
}

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
}

const metricMap = (tests: readonly TestRecord[]) => {
  const m = new Map<string, Metric & { test: string }>();
  for (const t of tests) for (const x of t.metrics ?? []) m.set(`${t.path}\u0000${x.name}`, { ...x, test: t.path });
  return m;
};

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
  const before = metricMap(baseline);
  const metrics: MetricPair[] = [];
  for (const [key, m] of metricMap(now)) {
    const b = before.get(key);
    if (!b || b.unit !== m.unit) continue;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    metrics.push({
      test: m.test,
      name: m.name,
      unit: m.unit,
      baseline: b.value,
      value: m.value,
      delta: round(m.value - b.value),
      ...(b.value !== 0 ? { ratio: round(m.value / b.value) } : {}),
    });
  }
  return { ...ids, newFailures: c.regressions, fixes: c.fixes, otherChanges: c.other, metrics };
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
