import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '../../harness/run/run-summary.js';

export const repo = new URL('../..', import.meta.url).pathname;
export const labBin = join(repo, 'dist/harness/cli/main.js');

/** Runs the compiled lab CLI with its own reports folder, so tests never read each other's runs. */
export function lab(args: string[], opts: { reports?: string } = {}): ResultPromise<{ reject: false; all: true }> {
  const reports = opts.reports ?? mkdtempSync(join(tmpdir(), 'lab-reports-'));
  return execa('node', [labBin, ...args], { reject: false, all: true, env: { LAB_REPORTS: reports }, cwd: repo });
}

export function onlyReport(reports: string): { dir: string; summary: RunSummary } {
  const runs = readdirSync(reports);
  if (runs.length !== 1) throw new Error(`expected one run in ${reports}, found ${runs.join(', ')}`);
  const dir = join(reports, runs[0]!);
  return { dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary };
}

/** QEMU processes whose parent is the given pid. */
export function qemuChildrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = /\((.*)\)/.exec(stat)?.[1] ?? '';
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm.startsWith('qemu-system')) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Every live QEMU on the machine, whoever's child it is now (an orphan's parent is init). */
export function liveQemus(): number[] {
  return liveProcesses('qemu-system');
}

/** Every live process whose name starts with `name` (virtiofsd, say). */
export function liveProcesses(name: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return (/\((.*)\)/.exec(stat)?.[1] ?? '').startsWith(name) && alive(p);
      } catch {
        return false;
      }
    });
}

/** The QEMUs alive now that were not in `before`, once `ms` have passed for stragglers to go. */
export async function newQemusLeft(before: readonly number[], ms = 5000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = liveQemus().filter((p) => !before.includes(p));
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = liveQemus().filter((p) => !before.includes(p));
  }
  return left;
}

export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

export function newReportsDir(): string {
  return mkdtempSync(join(tmpdir(), 'lab-reports-'));
}
