// What `lab bisect` records (its own file: the runner and the report writer import it, not each other).
import type { StepOps, StepRecord } from './test-commit.js';
import type { JudgeRule } from './verdict.js';

/** `lab bisect`'s options. */
export interface BisectOptions {
  good: string;
  bad: string;
  suite: string;
  test?: string;
  /** Series whose configs (and patches, applied on top of each step) the steps build with. */
  series?: string;
  tree?: string;
  runs: number;
  rule: JudgeRule;
  retries: number;
  cache: string;
  log: (line: string) => void;
  /** How a step builds and runs (default: the artifact cache and QEMU); swapped in the orchestration's tests. */
  stepOps?: StepOps;
}

/** Everything a bisection knows, in reports/<bisect-id>/bisect.json: also its log for resuming. */
export interface BisectRecord {
  id: string;
  command: string;
  /** The command's options as given (what a resume compares). */
  args: Omit<BisectOptions, 'cache' | 'log' | 'stepOps'>;
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
