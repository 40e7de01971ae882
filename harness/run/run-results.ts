import { clipExcerpt, rollUp, type TestRecord, type TestStatus } from '../results/model.js';
import type { ConsoleFinding } from '../results/console-watcher.js';
import type { LabError } from '../util/errors.js';
import { isInfrastructure, type Outcome } from '../util/outcome.js';

export interface RunResults {
  tests: TestRecord[];
  status: TestStatus;
  outcome: Outcome;
}

/**
 * Pure: every planned check accounted for (reported, else MISS, or ERROR when the run failed first), the
 * console's verdict when a guest ran, the run's status, and its outcome.
 */
export function collectResults(o: {
  suite: string;
  planned: readonly string[];
  recorded: readonly TestRecord[];
  runError?: LabError;
  /** The console's findings; none when no guest ran (nothing to judge). */
  findings?: readonly ConsoleFinding[];
}): RunResults {
  const { runError } = o;
  const firstLine = runError?.message.split('\n')[0];
  const tests: TestRecord[] = [...o.recorded];
  const reported = new Set(tests.map((t) => t.name));
  for (const name of o.planned) {
    if (reported.has(name)) continue;
    tests.push({
      path: `${o.suite}.${name}`,
      name,
      status: runError ? 'ERROR' : 'MISS',
      durationMs: 0,
      reason: runError ? `not run: ${firstLine}` : 'never reported',
    });
  }
  if (o.findings) tests.push(consoleClean(o.suite, o.findings, runError));
  const status = runError && tests.length === 0 ? 'ERROR' : rollUp(tests.map((t) => t.status));
  const outcome: Outcome = runError
    ? runError.outcome
    : ['FAIL', 'ERROR', 'MISS'].includes(status)
      ? 'test-failed'
      : 'ok';
  return { tests, status, outcome };
}

function consoleClean(suite: string, findings: readonly ConsoleFinding[], runError?: LabError): TestRecord {
  const base = { path: `${suite}.console_clean`, name: 'console_clean', durationMs: 0 };
  if (findings.length) {
    return {
      ...base,
      status: 'FAIL',
      reason: findings
        .map((f) => `${f.kind}: ${f.title}`)
        .join('; ')
        .slice(0, 500),
      log: clipExcerpt(findings.map((f) => f.excerpt).join('\n\n')),
    };
  }
  // A console cut short by the host's fault was not watched to its end: no verdict either way.
  const cutShort = runError && isInfrastructure(runError.outcome);
  if (cutShort)
    return { ...base, status: 'ERROR', reason: `not judged: the run ended early (${runError.message.split('\n')[0]})` };
  return { ...base, status: 'PASS' };
}
