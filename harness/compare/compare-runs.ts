import { STATUS_RANK, type Metric, type TestRecord, type TestStatus } from '../results/model.js';

const BAD: ReadonlySet<TestStatus> = new Set(['FAIL', 'ERROR', 'MISS']);

/** Pure: each test's worst status over several runs of one side (a test that failed once failed on that side). */
export function worstOf(runs: ReadonlyArray<readonly TestRecord[]>): TestRecord[] {
  const by = new Map<string, TestRecord>();
  for (const tests of runs)
    for (const t of tests) {
      const had = by.get(t.path);
      if (!had || STATUS_RANK[t.status] > STATUS_RANK[had.status]) by.set(t.path, t);
    }
  return [...by.values()];
}

export interface StatusChange {
  path: string;
  before: TestStatus | 'absent';
  after: TestStatus | 'absent';
}

export interface RunComparison {
  /** Was not failing (or did not exist), fails now. */
  regressions: StatusChange[];
  /** Failed before, passes now. */
  fixes: StatusChange[];
  /** Any other change: skip/pass flips, tests added or removed. */
  other: StatusChange[];
  unchanged: number;
}

/** Pure: test-by-test status changes between two runs, keyed by test path. */
export function compareRuns(a: readonly TestRecord[], b: readonly TestRecord[]): RunComparison {
  const before = new Map(a.map((t) => [t.path, t.status]));
  const after = new Map(b.map((t) => [t.path, t.status]));
  const out: RunComparison = { regressions: [], fixes: [], other: [], unchanged: 0 };
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const path of paths) {
    const x: TestStatus | 'absent' = before.get(path) ?? 'absent';
    const y: TestStatus | 'absent' = after.get(path) ?? 'absent';
    if (x === y) {
      out.unchanged++;
      continue;
    }
    const change: StatusChange = { path, before: x, after: y };
    const wasBad = x !== 'absent' && BAD.has(x);
    const isBad = y !== 'absent' && BAD.has(y);
    if (isBad && !wasBad) out.regressions.push(change);
    else if (wasBad && (y === 'PASS' || y === 'DONE')) out.fixes.push(change);
    else out.other.push(change);
  }
  return out;
}

/** One metric of one test in two runs (a baseline and the run compared with it). */
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

const metricMap = (tests: readonly TestRecord[]) => {
  const m = new Map<string, Metric & { test: string }>();
  for (const t of tests) for (const x of t.metrics ?? []) m.set(`${t.path}\u0000${x.name}`, { ...x, test: t.path });
  return m;
};

/** Pure: every metric both runs recorded for the same test in the same unit, with its difference. */
export function pairMetrics(baseline: readonly TestRecord[], now: readonly TestRecord[]): MetricPair[] {
  const before = metricMap(baseline);
  const out: MetricPair[] = [];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const [key, m] of metricMap(now)) {
    const b = before.get(key);
    if (!b || b.unit !== m.unit) continue;
    out.push({
      test: m.test,
      name: m.name,
      unit: m.unit,
      baseline: b.value,
      value: m.value,
      delta: round(m.value - b.value),
      ...(b.value !== 0 ? { ratio: round(m.value / b.value) } : {}),
    });
  }
  return out;
}

/**
 * Pure: the metrics that moved by at least `threshold` (a fraction: 0.05 is 5%) of their baseline, or from 0 at all.
 * One run each: an observation, not a statistic.
 */
export function metricMoves(pairs: readonly MetricPair[], threshold = 0.05): MetricPair[] {
  return pairs.filter((p) => (p.ratio === undefined ? p.delta !== 0 : Math.abs(p.ratio - 1) >= threshold));
}

export function formatComparison(
  c: RunComparison,
  nameA: string,
  nameB: string,
  moves: readonly MetricPair[] = [],
): string {
  const lines = [`compare ${nameA} → ${nameB}`];
  const section = (title: string, xs: StatusChange[]) => {
    if (!xs.length) return;
    lines.push(`${title} (${xs.length}):`);
    for (const x of xs) lines.push(`  ${x.path}: ${x.before} → ${x.after}`);
  };
  section('new failures', c.regressions);
  section('fixed', c.fixes);
  section('other changes', c.other);
  if (moves.length) {
    lines.push(`metric moves of 5% or more (${moves.length}, one run each):`);
    for (const m of moves)
      lines.push(
        `  ${m.test} ${m.name}: ${m.baseline} → ${m.value} ${m.unit}${m.ratio !== undefined ? ` (×${m.ratio})` : ''}`,
      );
  }
  lines.push(
    `${c.regressions.length} new failures, ${c.fixes.length} fixed, ${c.other.length} other changes, ${c.unchanged} unchanged${moves.length ? `, ${moves.length} metric moves` : ''}`,
  );
  return lines.join('\n');
}
