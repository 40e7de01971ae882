import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { thresholdOption, type Command } from './command.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { UsageError } from '../util/errors.js';
import { escapeControls } from '../report/control-bytes.js';
import { DEFAULT_DEBIAN_KERNEL, debianKernelSpec } from '../kernel/debian-kernel.js';
import { loadGuest, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { runSuite, type KernelChoice } from '../run/run-suite.js';
import { runAb } from '../ab/run-ab.js';
import { abSummaryText } from '../ab/ab-report.js';
import { regressions } from '../ab/ab-samples.js';

const err = (line: string) => process.stderr.write(escapeControls(line) + '\n');
const out = (line: string) => process.stdout.write(escapeControls(line) + '\n');

/**
 * A side's kernel for `lab ab`: a Debian id, a prebuilt bzImage or build directory (a path that exists and is not a
 * series file), else a series by name or file (checked now: a typo is exit 2 before any run).
 */
function abKernel(spec: string | undefined): KernelChoice {
  if (spec === undefined) return { kind: 'debian' };
  if (debianKernelSpec(spec) && !existsSync(spec)) return { kind: 'debian', id: spec };
  if (existsSync(spec) && !spec.endsWith('.yaml')) return { kind: 'prebuilt', path: spec };
  loadSeries(spec);
  return { kind: 'series', series: spec };
}

/** `lab ab`: is B slower than A (see harness/ab/). */
export function abCommands(): Record<string, Command> {
  return {
    ab: {
      summary:
        'is B slower than A? a suite run N times on each, interleaved; per metric a ratio with a 95% interval, a rank test, a verdict',
      help: [
        'usage: lab ab --suite SUITE [--a KERNEL] [--b KERNEL] [--guest G] [--a-guest G] [--b-guest G] [--a-suite S] [--b-suite S]',
        '              [--runs N] [--threshold PCT] [--seed N] [--quiet]',
        '  KERNEL  debian-6.12, debian-7.2, … ; a series name or FILE.yaml; a bzImage or build directory (default: Debian’s 7.2)',
        '  --a-guest/--b-guest, --a-suite/--b-suite  the same kernel with two guests or two suite files (parameter sets)',
        '  --runs N  runs per side (default 5; at least 4 for a rank test to reach p < 0.05)',
        '  --threshold PCT  the smallest change called slower or faster (default 5)',
        'exit 1 when a metric is slower beyond the threshold with its whole 95% interval past it',
      ].join('\n'),
      options: {
        suite: { type: 'string' },
        a: { type: 'string' },
        b: { type: 'string' },
        guest: { type: 'string' },
        'a-guest': { type: 'string' },
        'b-guest': { type: 'string' },
        'a-suite': { type: 'string' },
        'b-suite': { type: 'string' },
        runs: { type: 'string' },
        threshold: { type: 'string' },
        seed: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      async run(v, p) {
        if (p.length) throw new UsageError(`lab ab takes options only (got ${p.join(' ')})`);
        const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
        const int = (k: string, dflt: number, min: number, max: number) => {
          const x = str(k) === undefined ? dflt : Number(str(k));
          if (!Number.isInteger(x) || x < min || x > max)
            throw new UsageError(`--${k} ${str(k)}: an integer from ${min} to ${max}`);
          return x;
        };
        const runs = int('runs', 5, 1, 100);
        const threshold = thresholdOption(str('threshold'));
        const seed = int('seed', 1, 0, 2 ** 31 - 1);
        const side = (x: 'a' | 'b') => {
          const suite = str(`${x}-suite`) ?? str('suite');
          if (!suite) throw new UsageError('lab ab needs --suite SUITE (or --a-suite and --b-suite)');
          const guest = str(`${x}-guest`) ?? str('guest');
          const kernel = abKernel(str(x));
          loadSuite(suite);
          if (guest) loadGuest(guest);
          return {
            side: { label: '', kernel: str(x) ?? DEFAULT_DEBIAN_KERNEL, guest: guest ?? '(the suite’s)', suite },
            run: { suite, kernel, ...(guest ? { guest } : {}) },
          };
        };
        const [a, b] = [side('a'), side('b')];
        // Each side named by what differs from the other (the kernel, else the guest, else the suite).
        for (const [s, o] of [
          [a, b],
          [b, a],
        ] as const)
          s.side.label =
            [
              s.side.kernel !== o.side.kernel ? s.side.kernel : '',
              s.side.guest !== o.side.guest ? `guest ${s.side.guest}` : '',
              s.side.suite !== o.side.suite ? `suite ${s.side.suite}` : '',
            ]
              .filter(Boolean)
              .join(', ') || `${s.side.kernel} (same as the other side)`;
        const command = ['./lab', 'ab', ...process.argv.slice(3)]
          .map((w) => (/^[\w.,/:=@%+-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`))
          .join(' ');
        const { record, dir } = await runAb({
          a,
          b,
          runs,
          threshold: threshold / 100,
          seed,
          command,
          runSuite,
          log: v.quiet ? () => {} : err,
        });
        out(abSummaryText(record));
        out(`report: ${join(dir, 'report.html')}`);
        if (record.stopped) return ExitCode.interrupted;
        if (regressions(record.metrics).length) return ExitCode.testFailed;
        const counted = (x: 'a' | 'b') => record.runs.some((r) => r.side === x && r.counted);
        if (!counted('a') || !counted('b')) {
          const bad = record.runs.find((r) => !r.counted);
          err('lab: a side has no run that passed: nothing to compare');
          return bad
            ? exitCodeOf(bad.outcome as Parameters<typeof exitCodeOf>[0]) || ExitCode.testFailed
            : ExitCode.testFailed;
        }
        return ExitCode.ok;
      },
    },
  };
}
