import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../util/paths.js';
import type { RunSummary } from '../run/run-summary.js';

const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');

/** `lab run SUITE` as a user types it (its own process, reports in a temporary folder), timed from spawn to exit. */
export async function labRun(
  suite: string,
  extra: string[] = [],
): Promise<{ seconds: number; summary: RunSummary; consoleText: string }> {
  const reports = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  try {
    const t0 = performance.now();
    const r = await execa('node', [labBin, 'run', suite, '--quiet', ...extra], {
      reject: false,
      env: { LAB_REPORTS: reports },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (r.exitCode !== 0) throw new Error(`lab run ${suite} exited ${r.exitCode}: ${r.stderr}`);
    const dir = join(reports, readdirSync(reports)[0]!);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    const log = join(dir, 'console.log');
    return { seconds, summary, consoleText: existsSync(log) ? readFileSync(log, 'utf8') : '' };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}
