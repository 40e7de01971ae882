import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTCOMES, type Outcome } from '../util/outcome.js';
import { writeJsonAtomic } from '../util/state-file.js';
import type { RunSummary } from './run-summary.js';

/**
 * What `lab run --result-file F` hands back to the process that started it (a matrix cell): the outcome,
 * and the report folder when the run got far enough to write one. Written once, atomically, when the run
 * ends, also when it ends in an error before any report (a bad guest file: the error's message).
 */
export interface RunResultFile {
  outcome: Outcome;
  reportDir?: string;
  error?: string;
}

export function writeRunResult(file: string, r: RunResultFile): void {
  writeJsonAtomic(file, r);
}

/** The result file and the run's summary.json it points at; undefined when absent or not one. */
export function readRunResult(file: string): (RunResultFile & { summary?: RunSummary }) | undefined {
  if (!existsSync(file)) return undefined;
  let r: Partial<RunResultFile>;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunResultFile>;
  } catch {
    return undefined;
  }
  if (!r || !OUTCOMES.includes(r.outcome as Outcome)) return undefined;
  const summaryPath = typeof r.reportDir === 'string' ? join(r.reportDir, 'summary.json') : undefined;
  const summary =
    summaryPath && existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary) : undefined;
  return {
    outcome: r.outcome as Outcome,
    ...(typeof r.reportDir === 'string' ? { reportDir: r.reportDir } : {}),
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
    ...(summary ? { summary } : {}),
  };
}
