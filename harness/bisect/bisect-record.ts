// What `lab bisect` records (its own file: the runner and the report writer import it, not each other).
import type { JudgeRule } from './verdict.js';
import type { StepRecord } from './test-commit.js';

/** Everything a bisection knows, in reports/<bisect-id>/bisect.json: also its log for resuming. */
export interface BisectRecord {
  id: string;
  command: string;
  args: {
    good: string;
    bad: string;
    suite: string;
    test?: string;
    series?: string;
    tree?: string;
    runs: number;
    rule: JudgeRule;
    retries: number;
  };
  rule: string;
  repo: string;
  worktree: string;
  goodCommit: string;
  badCommit: string;
  candidates: number;
  stepBound: number;
  verification: { good?: StepRecord; bad?: StepRecord };
  steps: StepRecord[];
  result?:
    | { kind: 'found'; commit: string; subject: string; diffstat: string; reproduce: string; verdictReason: string }
    | { kind: 'ambiguous'; candidates: Array<{ commit: string; subject: string }> };
  startedAt: string;
  finishedAt?: string;
  resumed: number;
}
