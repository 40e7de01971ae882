import { clipExcerpt, type TestRecord } from './model.js';
import type { KtapTest } from './ktap-parser.js';

/** Path words: KTAP names may hold spaces and colons (kselftest: "selftests: damon: sysfs.sh"). */
export function pathWord(name: string): string {
  return (
    name
      .replace(/^selftests:\s*[^:]+:\s*/, '')
      .replace(/\s+/g, '_')
      .replace(/\./g, '_') || 'unnamed'
  );
}

/**
 * Flattens a result tree into the lab's records: one per leaf case, path "<prefix>.<suite>.<case>";
 * a suite that crashed before any case reported is a record of its own.
 */
export function ktapRecords(root: KtapTest, prefix: string): TestRecord[] {
  const out: TestRecord[] = [];
  const walk = (t: KtapTest, path: string) => {
    const here = `${path}.${pathWord(t.name)}`;
    if (t.children.length === 0) {
      out.push({
        path: here,
        name: t.name,
        status: t.status,
        durationMs: t.durationMs ?? 0,
        reason: t.reason,
        ...(t.log.length ? { log: clipExcerpt(t.log.join('\n')) } : {}),
      });
      return;
    }
    for (const c of t.children) walk(c, here);
    // A suite's own verdict can be worse than its cases' (no result line): keep that as a record too.
    if (t.status === 'ERROR' && !t.children.some((c) => c.status === 'ERROR')) {
      out.push({
        path: here,
        name: t.name,
        status: 'ERROR',
        durationMs: t.durationMs ?? 0,
        reason: t.reason,
        ...(t.log.length ? { log: clipExcerpt(t.log.join('\n')) } : {}),
      });
    }
  };
  for (const c of root.children) walk(c, prefix);
  return out;
}

/** Pure: the result tree as plain JSON for `lab parse --json`. */
export function ktapJson(t: KtapTest): unknown {
  return {
    name: t.name,
    status: t.status,
    ...(t.num !== undefined ? { num: t.num } : {}),
    directive: t.directive,
    reason: t.reason,
    ...(t.plan !== undefined ? { plan: t.plan } : {}),
    ...(t.durationMs !== undefined ? { duration_ms: t.durationMs } : {}),
    ...(t.log.length ? { log: t.log } : {}),
    ...(t.children.length ? { tests: t.children.map(ktapJson) } : {}),
  };
}

/** Pure: one summary line per top-level suite, then the totals, as `lab parse` prints them. */
export function ktapSummaryLines(
  root: KtapTest,
  counts: { total: number; PASS: number; FAIL: number; ERROR: number; MISS: number; SKIP: number; DONE: number },
): string[] {
  const lines: string[] = [];
  const leafCount = (t: KtapTest): number => (t.children.length ? t.children.reduce((n, c) => n + leafCount(c), 0) : 1);
  const failing = (t: KtapTest, path: string): string[] =>
    t.children.length
      ? t.children.flatMap((c) => failing(c, `${path}.${pathWord(c.name)}`))
      : ['FAIL', 'ERROR', 'MISS'].includes(t.status)
        ? [`    ${t.status} ${path}${t.reason ? ` — ${t.reason}` : ''}`]
        : [];
  for (const s of root.children) {
    lines.push(`${s.status.padEnd(5)} ${s.name} (${leafCount(s)} test${leafCount(s) === 1 ? '' : 's'})`);
    lines.push(...failing(s, pathWord(s.name)));
  }
  lines.push(
    `${counts.total} tests: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.ERROR} errors, ${counts.MISS} missing, ${counts.SKIP} skipped${counts.DONE ? `, ${counts.DONE} done` : ''}`,
  );
  return lines;
}
