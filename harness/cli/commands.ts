import type { ParseArgsConfig } from 'node:util';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../util/errors.js';
import { ensurePackages, REQUIRED_PACKAGES } from '../host/packages.js';
import { doctorFailed, formatDoctor, runDoctor } from '../host/doctor.js';
import { debianDefaultKernel } from '../kernel/debian-kernel.js';
import { ensureLabKeys } from '../guest/lab-keys.js';
import { runSuite } from '../run/run-suite.js';
import { knownGuests, knownSuites, loadGuest, loadSuite } from '../suites/suite-catalog.js';

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
    help: 'usage: lab run SUITE [--guest NAME|FILE] [--keep] [--quiet]',
    options: { guest: { type: 'string' }, keep: { type: 'boolean' }, quiet: { type: 'boolean' } },
    async run(v, p) {
      if (p.length !== 1) throw new UsageError('lab run takes exactly one suite name', `known suites: ${knownSuites().join(', ')}`);
      const { summary, reportDir } = await runSuite({
        suite: p[0]!,
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
  list: {
    summary: 'list suites and guests',
    help: 'usage: lab list',
    options: {},
    async run() {
      for (const s of knownSuites()) out(`suite  ${s.padEnd(20)} ${loadSuite(s).description ?? ''}`);
      for (const g of knownGuests()) out(`guest  ${g.padEnd(20)} ${loadGuest(g).description ?? ''}`);
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
