import { countStatuses, type RunSummary } from '../../harness/run/run-summary.js';
import type { Outcome } from '../../harness/util/outcome.js';

/** A run's summary with one test `<suite>.<name>` of this status: what an orchestration test's fake run returns. */
export function fakeSummary(o: {
  suite: string;
  name: string;
  status: 'PASS' | 'FAIL' | 'ERROR';
  outcome: Outcome;
  reason?: string;
}): RunSummary {
  const tests = [
    {
      path: `${o.suite}.${o.name}`,
      name: o.name,
      status: o.status,
      durationMs: 1,
      ...(o.reason ? { reason: o.reason } : {}),
    },
  ];
  return {
    runId: 'r',
    suite: o.suite,
    status: o.status,
    outcome: o.outcome,
    startedAt: '',
    finishedAt: '',
    stages: [],
    tests,
    counts: countStatuses(tests),
    console: { findings: [], log: 'console.log' },
  };
}
