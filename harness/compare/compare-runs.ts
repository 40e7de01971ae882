import type { TestRecord, TestStatus } from '../results/model.js';

const BAD: ReadonlySet<TestStatus> = new Set(['FAIL', 'ERROR', 'MISS']);

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

export function formatComparison(c: RunComparison, nameA: string, nameB: string): string {
  const lines = [`compare ${nameA} → ${nameB}`];
  const section = (title: string, xs: StatusChange[]) => {
    if (!xs.length) return;
    lines.push(`${title} (${xs.length}):`);
    for (const x of xs) lines.push(`  ${x.path}: ${x.before} → ${x.after}`);
  };
  section('new failures', c.regressions);
  section('fixed', c.fixes);
  section('other changes', c.other);
  lines.push(
    `${c.regressions.length} new failures, ${c.fixes.length} fixed, ${c.other.length} other changes, ${c.unchanged} unchanged`,
  );
  return lines.join('\n');
}
