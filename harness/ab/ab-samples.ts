import type { RunSummary } from '../run/run-summary.js';
import { compareMetric, type Better, type MetricComparison } from '../stats/ab-stats.js';

/**
 * Which way is better for the metrics the lab's suites record, by name; a metric not named here has no direction:
 * its change is reported (higher / lower) but is never a regression.
 */
export const METRIC_DIRECTION: Readonly<Record<string, Better>> = {
  kdamond_cpu: 'lower',
  time_to_detect: 'lower',
  time_to_converge: 'lower',
  steady_mean_error: 'lower',
  steady_stddev: 'lower',
  boot_seconds: 'lower',
  restore_seconds: 'lower',
  guest_mem_used: 'lower',
  recall: 'higher',
  precision: 'higher',
  hot_range_covered: 'higher',
  accesses_per_second: 'higher',
  right_probe_share: 'higher',
};

/** One side's runs: the summaries of those that finished with a verdict the samples may use, and those that did not. */
export interface SideRuns {
  counted: RunSummary[];
  failed: Array<{ runId: string; status: string; why: string }>;
}

/** Pure: a run counts when it passed (a failed or broken run's numbers measure something else). */
export function splitRuns(runs: readonly RunSummary[]): SideRuns {
  const out: SideRuns = { counted: [], failed: [] };
  for (const r of runs) {
    if (r.outcome === 'ok' && (r.status === 'PASS' || r.status === 'SKIP')) out.counted.push(r);
    else
      out.failed.push({
        runId: r.runId,
        status: r.status,
        why: r.error?.message ?? `${r.counts.FAIL} failed, ${r.counts.ERROR + r.counts.MISS} errors`,
      });
  }
  return out;
}

/**
 * Pure: every numeric metric of a run by key ("test metric"), with the lab's own: the boot (or snapshot restore)
 * stage's seconds and the guest's memory in use after the suite.
 */
export function runMetrics(r: RunSummary): Map<string, { test: string; name: string; unit: string; value: number }> {
  const out = new Map<string, { test: string; name: string; unit: string; value: number }>();
  for (const t of r.tests)
    for (const m of t.metrics ?? [])
      if (Number.isFinite(m.value))
        out.set(`${t.path} ${m.name}`, { test: t.path, name: m.name, unit: m.unit, value: m.value });
  const boot = r.stages.find((s) => s.stage === 'boot');
  if (boot) out.set(`lab boot_seconds`, { test: 'lab', name: 'boot_seconds', unit: 's', value: boot.seconds });
  // A guest restored from a snapshot has no boot stage: its restore is a metric of its own, never mixed with boots.
  const restore = r.stages.find((s) => s.stage === 'restore');
  if (restore)
    out.set(`lab restore_seconds`, { test: 'lab', name: 'restore_seconds', unit: 's', value: restore.seconds });
  if (r.guestMemUsedMiB !== undefined)
    out.set('lab guest_mem_used', { test: 'lab', name: 'guest_mem_used', unit: 'MiB', value: r.guestMemUsedMiB });
  return out;
}

export interface MetricSamples {
  key: string;
  test: string;
  name: string;
  unit: string;
  better?: Better;
  a: number[];
  b: number[];
}

/**
 * Pure: the samples of each metric both sides recorded (in the same unit), in run order; with pairByName (the two
 * sides run different suite files) also the metrics each side has under a test of its own (see pairedByName).
 */
export function collectSamples(
  a: readonly RunSummary[],
  b: readonly RunSummary[],
  opts: { pairByName?: boolean } = {},
): MetricSamples[] {
  const out = new Map<string, MetricSamples>();
  const add = (side: 'a' | 'b', runs: readonly RunSummary[]) => {
    for (const r of runs)
      for (const [key, m] of runMetrics(r)) {
        let s = out.get(key);
        if (!s) {
          const better = METRIC_DIRECTION[m.name];
          s = { key, test: m.test, name: m.name, unit: m.unit, ...(better ? { better } : {}), a: [], b: [] };
          out.set(key, s);
        }
        if (s.unit === m.unit) s[side].push(m.value);
      }
  };
  add('a', a);
  add('b', b);
  const both = [...out.values()].filter((s) => s.a.length && s.b.length);
  return opts.pairByName ? [...both, ...pairedByName([...out.values()])] : both;
}

/**
 * Pure: metrics only one side recorded, paired by name and unit when each side has exactly one such: two suite files
 * that measure the same thing under different tests (damon-accuracy with `modes: [vaddr]` against `[paddr]`: each
 * side's kdamond_cpu is the other's counterpart).
 */
function pairedByName(all: readonly MetricSamples[]): MetricSamples[] {
  const onlyA = all.filter((s) => s.a.length && !s.b.length);
  const onlyB = all.filter((s) => s.b.length && !s.a.length);
  const out: MetricSamples[] = [];
  for (const x of onlyA) {
    const same = (s: MetricSamples) => s.name === x.name && s.unit === x.unit;
    const ys = onlyB.filter(same);
    if (onlyA.filter(same).length !== 1 || ys.length !== 1) continue;
    const y = ys[0]!;
    out.push({ ...x, key: `${x.test} | ${y.test} ${x.name}`, test: `${x.test} | ${y.test}`, b: y.b });
  }
  return out;
}

export interface MetricResult extends MetricSamples, MetricComparison {
  /** The verdict in words for a metric with no direction: B's values are higher or lower. */
  reported: 'slower' | 'faster' | 'higher' | 'lower' | 'no detectable change';
}

/**
 * Pure: each metric compared. A metric with a direction gets slower / faster (worse / better); one without gets
 * higher / lower, never counted as a regression.
 */
export function compareSamples(
  samples: readonly MetricSamples[],
  opts: { threshold: number; seed: number },
): MetricResult[] {
  return samples.map((s) => {
    const c = compareMetric(s.a, s.b, { better: s.better ?? 'lower', threshold: opts.threshold, seed: opts.seed });
    const reported =
      s.better || c.verdict === 'no detectable change' ? c.verdict : c.verdict === 'slower' ? 'higher' : 'lower';
    return { ...s, ...c, reported };
  });
}

/** Pure: the metrics that regressed (a direction, worse, the whole interval past the threshold). */
export function regressions(results: readonly MetricResult[]): MetricResult[] {
  return results.filter((r) => r.reported === 'slower');
}

/** Pure: the order of an A/B's runs, interleaved A B A B… so the host's drift falls on both sides. */
export function interleave(runs: number): Array<'a' | 'b'> {
  return Array.from({ length: runs * 2 }, (_, i) => (i % 2 ? 'b' : 'a'));
}
