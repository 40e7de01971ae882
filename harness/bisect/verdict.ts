import { isInfrastructure, isInputError, type Outcome } from '../util/outcome.js';
import type { TestRecord } from '../results/model.js';

/** What one commit is, for `git bisect`: good, bad, or skip (cannot be judged: exit 125 in `git bisect run`). */
export type Verdict = 'good' | 'bad' | 'skip';

/** One suite run's reading. "infra" is not a verdict: the run is retried, and only then counted as skip. */
export interface RunReading {
  verdict: Verdict | 'infra';
  /** One line: why this verdict (the failing tests, the build error, the boot failure). */
  reason: string;
  runId?: string;
  /** Set when the kernel did not build: no further runs of this commit are worth trying. */
  buildFailed?: boolean;
}

/** How a step with several runs (--runs N) is judged. */
export type JudgeRule = 'any-bad' | 'majority';

export const RULE_TEXT: Readonly<Record<JudgeRule, string>> = {
  'any-bad': 'bad if any run is bad, good if every judged run is good',
  majority: 'bad if more runs are bad than good, good if more are good than bad, skip on a tie',
};

const BAD = new Set(['FAIL', 'ERROR', 'MISS']);

/**
 * Pure: one run's summary read against the test path (a test, or a prefix naming a group of tests such
 * as a KUnit suite) or against the whole suite. A kernel that does not build, or a config the commit
 * cannot give, is skip; a boot or tool failure is infra.
 */
export function readRun(
  run: { outcome: Outcome; error?: { message: string }; tests: readonly TestRecord[]; runId?: string },
  testPath?: string,
): RunReading {
  const id = run.runId ? { runId: run.runId } : {};
  const first = run.error?.message.split('\n')[0] ?? '';
  if (run.outcome === 'build-failed')
    return { verdict: 'skip', reason: `build failed: ${first}`, buildFailed: true, ...id };
  if (isInputError(run.outcome)) {
    return { verdict: 'skip', reason: `cannot configure this commit: ${first}`, buildFailed: true, ...id };
  }
  if (isInfrastructure(run.outcome) || run.outcome === 'interrupted')
    return { verdict: 'infra', reason: first || 'infrastructure failure', ...id };

  const judged =
    testPath === undefined
      ? run.tests
      : run.tests.filter((t) => t.path === testPath || t.path.startsWith(`${testPath}.`));
  if (!judged.length) return { verdict: 'skip', reason: `${testPath} was not reported`, ...id };
  const bad = judged.filter((t) => BAD.has(t.status));
  if (bad.length) {
    const names = bad
      .slice(0, 3)
      .map((t) => `${t.path} ${t.status}${t.reason ? ` (${t.reason.split('\n')[0]!.slice(0, 120)})` : ''}`);
    return { verdict: 'bad', reason: names.join('; ') + (bad.length > 3 ? `; and ${bad.length - 3} more` : ''), ...id };
  }
  const passed = judged.filter((t) => t.status === 'PASS' || t.status === 'DONE');
  if (!passed.length) return { verdict: 'skip', reason: `${testPath ?? 'every test'} was SKIP`, ...id };
  return { verdict: 'good', reason: `${passed.length} passed${testPath ? ` under ${testPath}` : ''}`, ...id };
}

/** Pure: the step's verdict from its runs (infra readings were retried already and count as nothing). */
export function judgeStep(readings: readonly RunReading[], rule: JudgeRule): { verdict: Verdict; reason: string } {
  const build = readings.find((r) => r.buildFailed);
  if (build) return { verdict: 'skip', reason: build.reason };
  const good = readings.filter((r) => r.verdict === 'good').length;
  const bad = readings.filter((r) => r.verdict === 'bad').length;
  const firstBad = readings.find((r) => r.verdict === 'bad');
  const tally = `${bad} bad, ${good} good of ${readings.length} run(s)${firstBad ? `: ${firstBad.reason}` : ''}`;
  if (!good && !bad) {
    const infra = readings.filter((r) => r.verdict === 'infra');
    return {
      verdict: 'skip',
      reason:
        infra.length === readings.length
          ? `infrastructure failed every time: ${infra[0]?.reason ?? ''}`
          : `no run could be judged: ${readings[0]?.reason ?? ''}`,
    };
  }
  if (rule === 'any-bad') return { verdict: bad ? 'bad' : 'good', reason: tally };
  if (bad === good) return { verdict: 'skip', reason: `${tally}: a tie` };
  return { verdict: bad > good ? 'bad' : 'good', reason: tally };
}

/** What `git bisect` said after a verdict (or after start). */
export type BisectState =
  | { kind: 'next'; commit?: string; revisionsLeft?: number; stepsLeft?: number }
  | { kind: 'found'; commit: string }
  | { kind: 'ambiguous'; candidates: string[] };

/** Pure: parses git bisect's output. */
export function parseBisectOutput(text: string): BisectState {
  const found = /^([0-9a-f]{40}) is the first bad commit$/m.exec(text);
  if (found) return { kind: 'found', commit: found[1]! };
  if (/only 'skip'ped commits left to test/.test(text)) {
    return { kind: 'ambiguous', candidates: [...text.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }
  const next =
    /Bisecting: (\d+) revisions? left to test after this \(roughly (\d+) steps?\)\s*\n\[([0-9a-f]{40})\]/.exec(text);
  if (next) return { kind: 'next', commit: next[3]!, revisionsLeft: Number(next[1]), stepsLeft: Number(next[2]) };
  return { kind: 'next' };
}

/** Pure: the most steps a bisection of n candidate commits should take, ⌈log2 n⌉ + 1. */
export function stepBound(candidates: number): number {
  return Math.ceil(Math.log2(Math.max(1, candidates))) + 1;
}
