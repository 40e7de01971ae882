import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportsRoot } from '../util/paths.js';
import { writeJsonAtomic } from '../util/state-file.js';
import { newRunId } from '../run/run-id.js';
import type { RunOutcome, RunOptions } from '../run/run-suite.js';
import type { RunSummary } from '../run/run-summary.js';
import { collectSamples, compareSamples, interleave, splitRuns } from './ab-samples.js';
import { abSummaryText, renderAbHtml, type AbRecord, type AbSide } from './ab-report.js';

export interface AbRequest {
  a: { side: AbSide; run: Omit<RunOptions, 'log'> };
  b: { side: AbSide; run: Omit<RunOptions, 'log'> };
  runs: number;
  threshold: number;
  seed: number;
  command: string;
  /** One suite run (runSuite; replaced in tests). */
  runSuite(opts: RunOptions): Promise<RunOutcome>;
  log(line: string): void;
}

/**
 * Runs an A/B: the suite on each side `runs` times, interleaved, each run a full lab run with its own report; then
 * every metric's samples compared and reports/<ab-id>/{summary.json,report.html} written (also after a Ctrl-C: what
 * ran is kept, marked stopped). Each run boots (no snapshot): the guest's boot is part of what is compared.
 */
export async function runAb(req: AbRequest): Promise<{ record: AbRecord; dir: string }> {
  const abId = newRunId('ab');
  const dir = join(reportsRoot(), abId);
  mkdirSync(dir, { recursive: true });
  const startedAt = new Date().toISOString();
  const done: Record<'a' | 'b', RunSummary[]> = { a: [], b: [] };
  const order: AbRecord['runs'] = [];
  let stopped: string | undefined;
  const plan = interleave(req.runs);
  for (const [i, side] of plan.entries()) {
    req.log(`A/B run ${i + 1}/${plan.length}: ${side.toUpperCase()} (${req[side].side.label})`);
    const { summary, reportDir } = await req.runSuite({
      ...req[side].run,
      snapshots: 'off',
      measureGuest: true,
      log: () => {},
    });
    req.log(`  ${summary.runId}: ${summary.status}${summary.error ? ` (${summary.error.message})` : ''}`);
    done[side].push(summary);
    order.push({
      side,
      runId: summary.runId,
      reportDir,
      status: summary.status,
      outcome: summary.outcome,
      counted: false,
    });
    if (summary.outcome === 'interrupted') {
      stopped = `interrupted during run ${i + 1} of ${plan.length}`;
      break;
    }
  }
  const a = splitRuns(done.a);
  const b = splitRuns(done.b);
  const counted = new Set([...a.counted, ...b.counted].map((r) => r.runId));
  for (const o of order) o.counted = counted.has(o.runId);
  const record: AbRecord = {
    abId,
    command: req.command,
    startedAt,
    finishedAt: new Date().toISOString(),
    a: req.a.side,
    b: req.b.side,
    runsPerSide: req.runs,
    threshold: req.threshold,
    seed: req.seed,
    runs: order,
    failed: { a: a.failed, b: b.failed },
    metrics: compareSamples(
      collectSamples(a.counted, b.counted, { pairByName: req.a.side.suite !== req.b.side.suite }),
      { threshold: req.threshold, seed: req.seed },
    ),
    ...(stopped ? { stopped } : {}),
  };
  writeJsonAtomic(join(dir, 'summary.json'), record);
  writeFileSync(join(dir, 'report.html'), renderAbHtml(record));
  writeFileSync(join(dir, 'summary.txt'), abSummaryText(record) + '\n');
  return { record, dir };
}
