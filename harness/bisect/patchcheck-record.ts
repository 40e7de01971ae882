// What `lab patchcheck` records in reports/<id>/patchcheck.json: its own file, so the report writer and the runner
// share it without importing each other.
import type { StepRecord } from './test-commit.js';
import type { Warning } from './build-warnings.js';

export interface PrefixRecord {
  /** 0 for the base alone, k for patches 1..k. */
  index: number;
  patch?: { origin: string; subject: string; touched: string[] };
  step: StepRecord;
  newWarnings: Warning[];
  /** What this patch broke: build, warnings, suite; empty when nothing. */
  problems: string[];
}

export interface PatchcheckRecord {
  id: string;
  series: string;
  seriesFile: string;
  suite?: string;
  test?: string;
  guest?: string;
  rule: string;
  base: string;
  /** Patches 1..from-1 were applied to the base (--from). */
  from?: number;
  prefixes: PrefixRecord[];
  firstBad?: { index: number; subject: string; origin: string; problems: string[]; reproduce: string };
  startedAt: string;
  finishedAt?: string;
}
