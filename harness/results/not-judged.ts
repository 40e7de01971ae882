import type { TestRecord } from './model.js';

/**
 * A test the lab cannot judge in some environment, with the reason: a tool the test needs that the
 * guest lacks (recognised by its output), or a timing assumption that emulation (TCG) breaks. Only a
 * FAIL becomes SKIP, and the reason keeps what the test said, so nothing that ran and failed for a
 * kernel reason is hidden where the rule does not apply (a PASS stays a PASS; under KVM a TCG rule is off).
 */
export interface NotJudgedRule {
  /** The test's name as the TAP gives it, without the collection ("sysfs.py"). */
  test: string;
  /** Only when the test's output contains this text (a missing tool's message). */
  output?: string;
  /** Only under this accelerator ("tcg"). */
  accel?: string;
  reason: string;
}

/**
 * Pure: the records with every FAIL a rule matches turned into SKIP, naming the rule's reason and what the test printed
 * last.
 */
export function applyNotJudged(
  records: readonly TestRecord[],
  rules: readonly NotJudgedRule[],
  accel: string,
): TestRecord[] {
  return records.map((r) => {
    if (r.status !== 'FAIL') return r;
    const rule = rules.find(
      (x) =>
        nameMatches(r.name, x.test) &&
        (x.accel === undefined || x.accel === accel) &&
        (x.output === undefined || (r.log ?? '').includes(x.output)),
    );
    if (!rule) return r;
    const said = lastLine(r.log ?? '');
    return {
      ...r,
      status: 'SKIP',
      reason: `not judged here: ${rule.reason}${rule.accel ? ` (under ${rule.accel})` : ''}; it failed${said ? `: ${said}` : ''}`,
    };
  });
}

/** kselftest names its tests "selftests: damon: sysfs.py"; a rule names the test alone. */
const nameMatches = (name: string, test: string) => name === test || name.endsWith(`: ${test}`);

function lastLine(log: string): string {
  const lines = log
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(overriding timeout|selftests: )/.test(l));
  return (lines.pop() ?? '').slice(0, 200);
}
