import type { ParseArgsConfig } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, formatComparison } from '../compare/compare-runs.js';
import { reportsRoot } from '../util/paths.js';
import type { RunSummary } from '../run/run-summary.js';
import { countLeaves, parseKtap } from '../results/ktap-parser.js';
import { ktapJson, ktapSummaryLines } from '../results/ktap-records.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../util/errors.js';
import { BUILD_PACKAGES, ensurePackages, REQUIRED_PACKAGES } from '../host/packages.js';
import { doctorFailed, formatDoctor, runDoctor } from '../host/doctor.js';
import { debianDefaultKernel } from '../kernel/debian-kernel.js';
import { ensureLabKeys } from '../guest/lab-keys.js';
import { runSuite } from '../run/run-suite.js';
import { knownGuests, knownSeries, knownSuites, loadGuest, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { buildKernel } from '../build/build-kernel.js';
import type { KernelChoice } from '../run/run-suite.js';

export interface CommandContext {
  cache: string;
}

export interface Command {
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], ctx: CommandContext): Promise<number>;
}

const err = (line: string) => process.stderr.write(line + '\n');
const out = (line: string) => process.stdout.write(line + '\n');

export const commands: Record<string, Command> = {
  setup: {
    summary: 'install missing Debian packages, fetch the default kernel, make the lab keys',
    help: 'usage: lab setup [--refresh]\n  --refresh  ask apt again for the newest default kernel',
    options: { refresh: { type: 'boolean' } },
    async run(v, _p, { cache }) {
      const installed = await ensurePackages(REQUIRED_PACKAGES.map((p) => p.name), err);
      out(installed.length ? `installed: ${installed.join(' ')}` : 'packages: all present');
      const k = await debianDefaultKernel(cache, { refresh: v.refresh === true, log: err });
      out(`default kernel: ${k.release} (${k.source})`);
      await ensureLabKeys(cache);
      out(`cache: ${cache}`);
      return ExitCode.ok;
    },
  },
  doctor: {
    summary: 'check prerequisites and capabilities (KVM usable, tools, cache space)',
    help: 'usage: lab doctor [--json]',
    options: { json: { type: 'boolean' } },
    async run(v, _p, { cache }) {
      const lines = await runDoctor(cache);
      out(v.json ? JSON.stringify(lines, null, 2) : formatDoctor(lines));
      return doctorFailed(lines) ? ExitCode.infrastructure : ExitCode.ok;
    },
  },
  run: {
    summary: 'run a suite in a guest and write reports/<run-id>/',
    help: 'usage: lab run SUITE [--guest NAME|FILE] [--series NAME|FILE [--tree PATH] | --kernel BZIMAGE|BUILDDIR [--modules DIR] [--kconfig FILE]] [--keep] [--quiet]',
    options: {
      guest: { type: 'string' }, keep: { type: 'boolean' }, quiet: { type: 'boolean' },
      series: { type: 'string' }, tree: { type: 'string' }, kernel: { type: 'string' }, modules: { type: 'string' }, kconfig: { type: 'string' },
    },
    async run(v, p) {
      if (p.length !== 1) throw new UsageError('lab run takes exactly one suite name', `known suites: ${knownSuites().join(', ')}`);
      const { summary, reportDir } = await runSuite({
        suite: p[0]!,
        kernel: kernelChoice(v),
        ...(typeof v.guest === 'string' ? { guest: v.guest } : {}),
        keep: v.keep === true,
        log: v.quiet ? () => {} : err,
      });
      const c = summary.counts;
      out(`${summary.suite}: ${summary.status} — ${c.PASS} passed, ${c.FAIL} failed, ${c.ERROR + c.MISS} errors, ${c.SKIP} skipped (accel ${summary.guest?.accel ?? '-'})`);
      if (summary.error) err(`error: ${summary.error.message}${summary.error.details ? `\n${summary.error.details}` : ''}`);
      out(`report: ${reportDir}`);
      return summary.exitCode;
    },
  },
  build: {
    summary: 'build a kernel from a tree plus a patch series and config fragments (artifact-cached)',
    help: 'usage: lab build --series NAME|FILE [--tree PATH] [--quiet]',
    options: { series: { type: 'string' }, tree: { type: 'string' }, quiet: { type: 'boolean' } },
    async run(v, _p, { cache }) {
      if (typeof v.series !== 'string') throw new UsageError('lab build needs --series NAME', `known series: ${knownSeries().join(', ')}`);
      const { spec, file } = loadSeries(v.series);
      await ensurePackages([...REQUIRED_PACKAGES, ...BUILD_PACKAGES].map((x) => x.name), err);
      const r = await buildKernel({ series: spec, seriesFile: file, ...(typeof v.tree === 'string' ? { tree: v.tree } : {}), cache, log: v.quiet ? () => {} : err });
      out(`${spec.name}: kernel ${r.artifact.release} at ${r.commit.slice(0, 12)} ${r.cached ? '(artifact cache, no make)' : 'built'} in ${r.seconds.toFixed(1)} s`);
      out(`artifact: ${r.artifactDir}`);
      return ExitCode.ok;
    },
  },
  parse: {
    summary: 'parse a saved console log or KTAP/TAP file and print the results (exit 1 if anything failed)',
    help: 'usage: lab parse [FILE|-] [--json]',
    options: { json: { type: 'boolean' } },
    async run(v, p) {
      if (p.length > 1) throw new UsageError('lab parse takes one FILE (or - for standard input)');
      const file = p[0] ?? '-';
      let text: string;
      try {
        text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const tree = parseKtap(text);
      const counts = countLeaves(tree);
      if (counts.total === 0 && tree.children.length === 0) throw new UsageError(`${file}: no KTAP or TAP results found`);
      out(v.json ? JSON.stringify({ status: tree.status, counts, tests: tree.children.map(ktapJson) }, null, 2) : ktapSummaryLines(tree, counts).join('\n'));
      return counts.FAIL + counts.ERROR + counts.MISS > 0 ? ExitCode.testFailed : ExitCode.ok;
    },
  },
  compare: {
    summary: 'status changes between two runs (reports/<run-id> or a path); exit 1 on a new failure',
    help: 'usage: lab compare RUN_A RUN_B [--json]',
    options: { json: { type: 'boolean' } },
    async run(v, p) {
      if (p.length !== 2) throw new UsageError('lab compare takes two runs: RUN_A RUN_B (run ids under reports/, or report folders)');
      const [a, b] = [readRunSummary(p[0]!), readRunSummary(p[1]!)];
      const c = compareRuns(a.tests, b.tests);
      out(v.json ? JSON.stringify(c, null, 2) : formatComparison(c, a.runId, b.runId));
      return c.regressions.length ? ExitCode.testFailed : ExitCode.ok;
    },
  },
  list: {
    summary: 'list suites and guests',
    help: 'usage: lab list',
    options: {},
    async run() {
      for (const s of knownSuites()) out(`suite  ${s.padEnd(20)} ${loadSuite(s).description ?? ''}`);
      for (const g of knownGuests()) out(`guest  ${g.padEnd(20)} ${loadGuest(g).description ?? ''}`);
      for (const x of knownSeries()) out(`series ${x.padEnd(20)} ${loadSeries(x).spec.description ?? ''}`);
      return ExitCode.ok;
    },
  },
};

export function usage(): string {
  const w = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: lab COMMAND [options]',
    '',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'exit codes: 0 all passed, 1 a test failed, 2 usage or config error, 3 infrastructure error, 130 interrupted',
    '',
  ].join('\n');
}

/** --series / --kernel into a KernelChoice; they exclude each other. */
function kernelChoice(v: Record<string, string | boolean | undefined>): KernelChoice {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (str('series') && str('kernel')) throw new UsageError('--series and --kernel exclude each other');
  if (str('tree') && !str('series')) throw new UsageError('--tree goes with --series');
  if ((str('modules') || str('kconfig')) && !str('kernel')) throw new UsageError('--modules and --kconfig go with --kernel');
  const series = str('series');
  if (series) return { kind: 'series', series, ...(str('tree') ? { tree: str('tree')! } : {}) };
  const kernel = str('kernel');
  if (kernel) return { kind: 'prebuilt', path: kernel, ...(str('modules') ? { modules: str('modules')! } : {}), ...(str('kconfig') ? { kconfig: str('kconfig')! } : {}) };
  return { kind: 'debian' };
}

/** A run by id (under reports/) or by its report folder or summary.json path. */
function readRunSummary(ref: string): RunSummary {
  const candidates = [ref, join(ref, 'summary.json'), join(reportsRoot(), ref, 'summary.json')];
  const file = candidates.find((c) => c.endsWith('.json') && existsSync(c));
  if (!file) throw new UsageError(`no run '${ref}': expected a run id under ${reportsRoot()} or a report folder with summary.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch (e) {
    throw new UsageError(`${file}: not a readable summary.json (${(e as Error).message})`);
  }
}
