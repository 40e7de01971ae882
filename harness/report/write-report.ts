import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { copyBounded } from '../util/bounded-file.js';
import { join } from 'node:path';
import type { RunSummary } from '../run/run-summary.js';
import { renderTap } from './tap-writer.js';
import { renderJunit } from './junit-writer.js';
import { renderHtml } from './html-writer.js';

/** Writes reports/<run-id>/: summary.json, results.tap, junit.xml, console.log, report.html. */
export function writeReport(dir: string, s: RunSummary, consoleLogPath: string | undefined): void {
  mkdirSync(dir, { recursive: true });
  // Bounded: the first and last 16 MiB of a flooded console, with the size of what was cut between.
  if (consoleLogPath && existsSync(consoleLogPath)) {
    const { size, cut } = copyBounded(consoleLogPath, join(dir, 'console.log'));
    s.console.bytes = size;
    if (cut) s.console.cutBytes = cut;
  } else writeFileSync(join(dir, 'console.log'), '');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeFileSync(join(dir, 'results.tap'), renderTap(s.suite, s.tests));
  writeFileSync(join(dir, 'junit.xml'), renderJunit(s));
  writeFileSync(join(dir, 'report.html'), renderHtml(s));
}
