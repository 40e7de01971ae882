import { BOOT_OPTIONS, shareOption, thresholdOption, type Command } from './command.js';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { compareRuns, formatComparison, metricMoves, pairMetrics, worstOf } from '../compare/compare-runs.js';
import { watchRuns } from '../watch/watch-runs.js';
import { cacheCommands } from './cache-command.js';
import { abCommands } from './ab-command.js';
import { collectSamples, compareSamples, regressions, splitRuns } from '../ab/ab-samples.js';
import { watchedInputs, type WatchedInput } from '../watch/watch-inputs.js';
import { reportsRoot } from '../util/paths.js';
import type { RunSummary } from '../run/run-summary.js';
import { countLeaves, parseKtap } from '../results/ktap-parser.js';
import { readInputBounded } from '../util/bounded-file.js';
import { ktapJson, ktapSummaryLines } from '../results/ktap-records.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { escapeControls } from '../report/control-bytes.js';
import { InputFileError, LabError, UsageError } from '../util/errors.js';
import { writeRunResult } from '../run/run-result-file.js';
import { BUILD_PACKAGES, ensurePackages, LIBVIRT_PACKAGES, REQUIRED_PACKAGES } from '../local-host/packages.js';
import { doctorFailed, formatDoctor, runDoctor } from '../local-host/doctor.js';
import { chooseBuilder } from '../kbuild/build-user.js';
import {
  DEFAULT_DEBIAN_KERNEL,
  debianDefaultKernel,
  debianKernelSpec,
  fetchedDebianKernels,
} from '../kernel/debian-kernel.js';
import { ensureLabKeys } from '../guest/lab-keys.js';
import { runSuite, type RunOutcome } from '../run/run-suite.js';
import { knownGuests, knownSeries, knownSuites, loadGuest, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { buildKernel } from '../kbuild/build-kernel.js';
import type { KernelChoice } from '../run/run-suite.js';
import { bisect } from '../bisect/bisect.js';
import { patchcheck } from '../bisect/patchcheck.js';
import { bisectSummaryText } from '../bisect/bisect-report.js';
import { patchcheckSummaryText } from '../bisect/patchcheck-report.js';
import type { JudgeRule } from '../bisect/verdict.js';
import { MatrixSpecSchema, type MatrixSpec } from '../schema/matrix.js';
import { loadYamlFile } from '../schema/load-yaml.js';
import { formatPlan, planMatrix, type MatrixPlan } from '../matrix/plan.js';
import { runMatrix } from '../matrix/run-matrix.js';
import { connectHost, loadLabConfig, probeHost } from '../libvirt/host-connection.js';
import { ensureLibvirtBinding } from '../libvirt/libvirt-binding.js';
import { githubWorkflow, gitlabPipeline } from '../matrix/ci-export.js';
import { guestCommands } from './guest-commands.js';
import { newGuestName } from '../kept/kept-guests.js';

export type { Command, CommandContext } from './command.js';

/** `lab parse` follows its verdict: the overall status, or any leaf that did not pass. */
const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Runs a `lab run` and, when asked, hands its outcome back through a file: the report folder when the run
 * wrote one, else the error that stopped it first (an unknown suite, a bad guest file).
 */
async function handingBack(file: string | undefined, run: () => Promise<RunOutcome>): Promise<RunOutcome> {
  try {
    const r = await run();
    if (file) writeRunResult(file, { outcome: r.summary.outcome, reportDir: r.reportDir });
    return r;
  } catch (e) {
    if (file)
      writeRunResult(
        file,
        e instanceof LabError
          ? { outcome: e.outcome, error: e.message }
          : { outcome: 'infrastructure', error: String(e) },
      );
    throw e;
  }
}

export function parseExitCode(status: string, counts: { FAIL: number; ERROR: number; MISS: number }): ExitCode {
  return ['FAIL', 'ERROR', 'MISS'].includes(status) || counts.FAIL + counts.ERROR + counts.MISS > 0
    ? ExitCode.testFailed
    : ExitCode.ok;
}

// Lines carry kernel and patch text: control bytes are escaped before they reach the terminal.
const err = (line: string) => process.stderr.write(escapeControls(line) + '\n');
const out = (line: string) => process.stdout.write(escapeControls(line) + '\n');

export const commands: Record<string, Command> = {
  setup: {
    summary: 'install missing Debian packages, fetch the default kernel, make the lab keys and the build user',
    help: 'usage: lab setup [--refresh] [--libvirt]\n  --refresh  ask apt again for the newest default kernel\n  --libvirt  also install libvirt and build the optional @unraid/libvirt binding from source',
    options: { refresh: { type: 'boolean' }, libvirt: { type: 'boolean' } },
    async run(v, _p, { cache }) {
      const installed = await ensurePackages(
        [...REQUIRED_PACKAGES, ...(v.libvirt ? LIBVIRT_PACKAGES : [])].map((p) => p.name),
        err,
      );
      if (v.libvirt) out(`libvirt binding: ${await ensureLibvirtBinding(err)}`);
      out(installed.length ? `installed: ${installed.join(' ')}` : 'packages: all present');
      const k = await debianDefaultKernel(cache, { refresh: v.refresh === true, log: err });
      out(`default kernel: ${k.release} (${k.source})`);
      await ensureLabKeys(cache);
      out(`kernel builds run as: ${(await chooseBuilder(cache, err)).who}`);
      out(`cache: ${cache}`);
      return ExitCode.ok;
    },
  },
  hosts: {
    summary: 'the libvirt hosts of the lab config: connect to each, probe its capabilities and accelerator',
    help: 'usage: lab hosts [--lab-config FILE] [--json]',
    options: { 'lab-config': { type: 'string' }, json: { type: 'boolean' } },
    async run(v, _p, { cache }) {
      const { config } = loadLabConfig(typeof v['lab-config'] === 'string' ? v['lab-config'] : undefined);
      if (!config.hosts.length) {
        out('no hosts in the lab config (see lab.example.yaml)');
        return ExitCode.ok;
      }
      const probeKernel = (await debianDefaultKernel(cache, { log: err })).vmlinuz;
      const rows = [];
      let failed = false;
      for (const spec of config.hosts) {
        try {
          const conn = await connectHost(spec);
          try {
            const h = await probeHost(conn, cache, probeKernel);
            rows.push({
              name: spec.name,
              uri: spec.uri,
              accel: h.accel,
              accelReason: h.accelReason,
              capabilities: h.capabilities,
            });
          } finally {
            await conn.close();
          }
        } catch (e) {
          failed = true;
          rows.push({ name: spec.name, uri: spec.uri, error: (e as Error).message });
        }
      }
      if (v.json) out(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          out(
            'error' in r
              ? `${r.name}  ${r.uri}  ERROR ${r.error}`
              : `${r.name}  ${r.uri}  ${r.accel} (${r.accelReason})  ${r.capabilities.vendor}${r.capabilities.flags.ibs ? ' ibs' : ''}${r.capabilities.kvm.mediatedPmu ? ' mediated-vpmu' : ''}`,
          );
      return failed ? ExitCode.infrastructure : ExitCode.ok;
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
  ...guestCommands((v) => kernelChoice(v)),
  run: {
    summary: 'run a suite in a guest and write reports/<run-id>/',
    help: "usage: lab run SUITE [--guest NAME|FILE] [--series NAME|FILE [--tree PATH] | --kernel BZIMAGE|BUILDDIR [--modules DIR] [--kconfig FILE]] [--host NAME [--lab-config FILE]] [--keep] [--keep-guest NAME] [--share DIR [--rw]] [--no-snapshot] [--watch] [--result-file FILE] [--quiet]\n  --watch  run, then again whenever the series (its file, patches, fragments, the --tree's commits) or the --kernel build changes, printing what changed against the previous run; Ctrl-C ends\n  --share DIR  the host directory DIR inside the guest at the same path (read-only unless --rw; the guest boots: QEMU cannot save it)\n  --keep-guest  leave the suite's guest running as NAME afterwards (lab exec NAME, lab shell NAME, lab down NAME)\n  --host  run the guest on a libvirt host of the lab config's inventory instead of QEMU here\n  --no-snapshot  boot, even when a saved booted guest of this kernel, image and machine is there (and save none)\n  --result-file  write {outcome, reportDir} there when the run ends (for a program that started it)",
    options: {
      ...BOOT_OPTIONS,
      keep: { type: 'boolean' },
      host: { type: 'string' },
      'lab-config': { type: 'string' },
      'result-file': { type: 'string' },
      'keep-guest': { type: 'string' },
      watch: { type: 'boolean' },
    },
    async run(v, p, { cache }) {
      const resultFile = typeof v['result-file'] === 'string' ? v['result-file'] : undefined;
      // Checked before anything runs: a result nobody can write would be lost after the whole run.
      if (resultFile !== undefined && !isDirectory(dirname(resolve(resultFile))))
        throw new UsageError(`--result-file ${resultFile}: its folder ${dirname(resolve(resultFile))} does not exist`);
      const once = async () => {
        const { summary, reportDir } = await handingBack(resultFile, () => {
          if (p.length !== 1)
            throw new UsageError('lab run takes exactly one suite name', `known suites: ${knownSuites().join(', ')}`);
          const share = shareOption(v);
          return runSuite({
            ...(share ? { share } : {}),
            suite: p[0]!,
            kernel: kernelChoice(v),
            ...(typeof v.guest === 'string' ? { guest: v.guest } : {}),
            ...(typeof v.host === 'string' ? { host: v.host } : {}),
            ...(typeof v['lab-config'] === 'string' ? { labConfig: v['lab-config'] } : {}),
            keep: v.keep === true,
            ...(typeof v['keep-guest'] === 'string' ? { keepGuest: newGuestName(cache, v['keep-guest']) } : {}),
            ...(v['no-snapshot'] === true ? { snapshots: 'off' as const } : {}),
            log: v.quiet ? () => {} : err,
          });
        });
        const c = summary.counts;
        out(
          `${summary.suite}: ${summary.status} — ${c.PASS} passed, ${c.FAIL} failed, ${c.ERROR + c.MISS} errors, ${c.SKIP} skipped (accel ${summary.guest?.accel ?? '-'})`,
        );
        if (summary.error)
          err(`error: ${summary.error.message}${summary.error.details ? `\n${summary.error.details}` : ''}`);
        out(`report: ${reportDir}`);
        return { summary, code: exitCodeOf(summary.outcome) };
      };
      if (v.watch !== true) return (await once()).code;
      const choice = kernelChoice(v);
      if (choice.kind === 'debian')
        throw new UsageError(
          "--watch reruns when the kernel's inputs change: give --series NAME|FILE (with --tree PATH) or --kernel BUILDDIR",
          "Debian's prebuilt kernels do not change",
        );
      if (typeof v['keep-guest'] === 'string' || resultFile !== undefined)
        throw new UsageError('--watch runs again and again: not with --keep-guest or --result-file');
      const end = await watchRuns({
        run: once,
        inputs: () => watchInputsOf(choice),
        compare: (a, b) => {
          const c = compareRuns(a.tests, b.tests);
          return formatComparison(c, a.runId, b.runId, metricMoves(pairMetrics(a.tests, b.tests)));
        },
        log: out,
      });
      err(`lab: watch ended after ${end.runs} run${end.runs === 1 ? '' : 's'}`);
      return end.code ?? ExitCode.interrupted;
    },
  },
  build: {
    summary: 'build a kernel from a tree plus a patch series and config fragments (artifact-cached)',
    help: 'usage: lab build [--series] NAME|FILE [--tree PATH] [--quiet]',
    options: { series: { type: 'string' }, tree: { type: 'string' }, quiet: { type: 'boolean' } },
    async run(v, p, { cache }) {
      // `lab build NAME` reads as `lab build --series NAME`: the series is the one thing build needs.
      if (typeof v.series === 'string' && p.length)
        throw new UsageError(
          `lab build: a series by --series or by name, not both (got --series ${v.series} and ${p.join(' ')})`,
        );
      if (p.length > 1) throw new UsageError(`lab build builds one series (got ${p.join(' ')})`);
      const name = typeof v.series === 'string' ? v.series : p[0];
      if (name === undefined)
        throw new UsageError('lab build needs a series: lab build NAME', `known series: ${knownSeries().join(', ')}`);
      const { spec, file } = loadSeries(name);
      await ensurePackages(
        [...REQUIRED_PACKAGES, ...BUILD_PACKAGES].map((x) => x.name),
        err,
      );
      const r = await buildKernel({
        series: spec,
        seriesFile: file,
        ...(typeof v.tree === 'string' ? { tree: v.tree } : {}),
        cache,
        log: v.quiet ? () => {} : err,
      });
      out(
        `${spec.name}: kernel ${r.artifact.release} at ${r.commit.slice(0, 12)} ${r.cached ? '(artifact cache, no make)' : 'built'} in ${r.seconds.toFixed(1)} s`,
      );
      out(`artifact: ${r.artifactDir}`);
      return ExitCode.ok;
    },
  },
  bisect: {
    summary: 'find the first bad commit between two revisions with git bisect, a build and a suite run per step',
    help: [
      'usage: lab bisect --good REV --bad REV --suite SUITE [--test PATH] [--series NAME|FILE] [--tree PATH]',
      '                  [--runs N] [--rule any-bad|majority] [--retries N] [--quiet]',
      '  --test PATH    judge by one test (or a group: a path prefix such as damon-kunit.damon_lab_fixture); default: the whole suite',
      '  --series       configs (and patches, applied on top of each step) to build with; default: damon + kunit',
      "  --tree PATH    your git tree (never modified); default: Debian's linux-source-6.12 in the cache",
      '  --runs N       runs per step, for flaky tests; --rule says how they are judged (default any-bad)',
      '  --retries N    extra attempts of a run that failed for infrastructure reasons (default 1)',
      "A step whose kernel does not build is skipped (git bisect run's exit 125). Running the same command",
      'again resumes an interrupted bisection. Exit 0: found; 1: only skipped commits left; 2: an end did not verify.',
    ].join('\n'),
    options: {
      good: { type: 'string' },
      bad: { type: 'string' },
      suite: { type: 'string' },
      test: { type: 'string' },
      series: { type: 'string' },
      tree: { type: 'string' },
      runs: { type: 'string' },
      rule: { type: 'string' },
      retries: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    async run(v, _p, { cache }) {
      if (typeof v.good !== 'string' || typeof v.bad !== 'string' || typeof v.suite !== 'string')
        throw new UsageError('lab bisect needs --good REV --bad REV --suite SUITE', commands.bisect!.help);
      await ensurePackages(
        [...REQUIRED_PACKAGES, ...BUILD_PACKAGES].map((x) => x.name),
        err,
      );
      const { state, dir, outcome } = await bisect({
        good: v.good,
        bad: v.bad,
        suite: v.suite,
        ...judging(v),
        ...(typeof v.series === 'string' ? { series: v.series } : {}),
        ...(typeof v.tree === 'string' ? { tree: v.tree } : {}),
        cache,
        log: v.quiet ? () => {} : err,
      });
      out(bisectSummaryText(state));
      out(`report: ${dir}`);
      return exitCodeOf(outcome);
    },
  },
  patchcheck: {
    summary:
      'build (and test) each prefix of a series; name the first patch that breaks the build, adds warnings or fails a suite',
    help: [
      'usage: lab patchcheck --series NAME|FILE [--tree PATH] [--from N] [--suite SUITE [--guest NAME|FILE] [--test PATH] [--runs N] [--rule any-bad|majority]] [--quiet]',
      "--from N: check patches N.. only; 1..N-1 go with the base (a port's setup patches, a prerequisite series).",
      'Exit 0: every patch is good; 1: a patch is bad (named, with the command that reproduces it); 2: the base does not verify.',
    ].join('\n'),
    options: {
      series: { type: 'string' },
      tree: { type: 'string' },
      suite: { type: 'string' },
      test: { type: 'string' },
      runs: { type: 'string' },
      rule: { type: 'string' },
      retries: { type: 'string' },
      quiet: { type: 'boolean' },
      from: { type: 'string' },
      guest: { type: 'string' },
    },
    async run(v, _p, { cache }) {
      if (typeof v.series !== 'string')
        throw new UsageError('lab patchcheck needs --series NAME', `known series: ${knownSeries().join(', ')}`);
      const from = typeof v.from === 'string' ? Number(v.from) : undefined;
      if (from !== undefined && !(Number.isInteger(from) && from >= 1))
        throw new UsageError(`--from ${v.from}: a patch number, 1 or more`);
      if (typeof v.test === 'string' && typeof v.suite !== 'string') throw new UsageError('--test needs --suite');
      await ensurePackages(
        [...REQUIRED_PACKAGES, ...BUILD_PACKAGES].map((x) => x.name),
        err,
      );
      const { record, dir, outcome } = await patchcheck({
        series: v.series,
        ...judging(v),
        ...(from !== undefined ? { from } : {}),
        ...(typeof v.guest === 'string' ? { guest: v.guest } : {}),
        ...(typeof v.suite === 'string' ? { suite: v.suite } : {}),
        ...(typeof v.tree === 'string' ? { tree: v.tree } : {}),
        cache,
        log: v.quiet ? () => {} : err,
      });
      out(patchcheckSummaryText(record));
      out(`report: ${dir}`);
      return exitCodeOf(outcome);
    },
  },
  matrix: {
    summary: 'a matrix of kernels × guests × suites: plan it, run it on the local pool, export it to CI',
    help: [
      'usage: lab matrix plan FILE',
      '       lab matrix run FILE [--jobs N] [--kernel ID] [--baseline KERNEL|MATRIX_RUN] [--runs N] [--threshold PCT]',
      '                           [--tree PATH] [--lab-config FILE] [--quiet]',
      '       lab matrix export FILE --github|--gitlab [--out PATH]',
      '  plan    the expanded cells: what builds, what boots and runs, which cells share a kernel',
      '  run     builds each kernel once, runs the cells (--jobs guests at once; default from cores and memory),',
      '          writes reports/<matrix-run-id>/ (index.html, summary.json, junit.xml); exit 1 if a cell failed',
      '          --baseline: against a kernel of the matrix or an earlier matrix run, new failures fail a cell; with',
      '          --runs N (or runs: in the file; 4 or more a side for the rank test to reach p < 0.05) every metric is',
      '          tested as lab ab does, and one worse by more than --threshold PCT (default 5) fails its cell too',
      '  export  a GitHub Actions workflow or a GitLab CI file with a job per kernel (its cells), reports as artifacts',
    ].join('\n'),
    options: {
      jobs: { type: 'string' },
      kernel: { type: 'string' },
      baseline: { type: 'string' },
      runs: { type: 'string' },
      threshold: { type: 'string' },
      tree: { type: 'string' },
      quiet: { type: 'boolean' },
      github: { type: 'boolean' },
      gitlab: { type: 'boolean' },
      out: { type: 'string' },
      'lab-config': { type: 'string' },
    },
    async run(v, p, { cache }) {
      const [sub, file, ...rest] = p;
      if (!sub || !file || rest.length || !['plan', 'run', 'export'].includes(sub))
        throw new UsageError('lab matrix takes plan|run|export and a matrix FILE', commands.matrix!.help);
      const spec = loadMatrix(file);
      if (sub === 'plan') {
        out(formatPlan(spec.name, planOrConfigError(spec, file), spec.hosts));
        return ExitCode.ok;
      }
      if (sub === 'export') {
        if (v.github === v.gitlab) throw new UsageError('lab matrix export needs one of --github or --gitlab');
        const plan = planOrConfigError(spec, file);
        const text = v.github ? githubWorkflow(spec, plan, file) : gitlabPipeline(spec, plan, file);
        if (typeof v.out === 'string') writeFileSync(v.out, text);
        else out(text);
        return ExitCode.ok;
      }
      planOrConfigError(spec, file);
      let jobs: number | undefined;
      if (v.jobs !== undefined) {
        jobs = Number(v.jobs);
        if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs ${String(v.jobs)}: a whole number ≥ 1`);
      }
      let runs: number | undefined;
      if (v.runs !== undefined) {
        runs = Number(v.runs);
        if (!Number.isInteger(runs) || runs < 1 || runs > 50)
          throw new UsageError(`--runs ${String(v.runs)}: a whole number from 1 to 50`);
      }
      const threshold = thresholdOption(v.threshold);
      await ensurePackages(
        [...REQUIRED_PACKAGES, ...BUILD_PACKAGES].map((x) => x.name),
        err,
      );
      const r = await runMatrix({
        spec,
        file,
        ...(jobs ? { jobs } : {}),
        ...(typeof v.kernel === 'string' ? { kernel: v.kernel } : {}),
        ...(typeof v.baseline === 'string' ? { baseline: v.baseline } : {}),
        ...(runs ? { runs } : {}),
        threshold: threshold / 100,
        ...(typeof v.tree === 'string' ? { tree: v.tree } : {}),
        ...(typeof v['lab-config'] === 'string' ? { labConfig: v['lab-config'] } : {}),
        cache,
        log: v.quiet ? () => {} : err,
      });
      const by = new Map<string, number>();
      for (const c of r.summary.cells) by.set(c.status, (by.get(c.status) ?? 0) + 1);
      out(`matrix ${spec.name}: ${[...by].map(([k, n]) => `${n} ${k}`).join(', ')}`);
      for (const c of r.summary.cells.filter((x) => x.newFailures?.length))
        out(`  ${c.id}: ${c.newFailures!.length} new failure(s): ${c.newFailures!.slice(0, 3).join('; ')}`);
      for (const c of r.summary.cells.filter((x) => x.metricRegressions?.length))
        out(`  ${c.id}: slower: ${c.metricRegressions!.join('; ')}`);
      out(`report: ${r.dir}`);
      return exitCodeOf(r.outcome);
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
        // Bounded: a device (/dev/zero) or a file past 1 GiB is refused, a pipe read up to that much.
        const r = readInputBounded(file === '-' ? 0 : file);
        if ('refused' in r) throw new UsageError(`cannot read ${file}: ${r.refused}`);
        text = r.text;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const tree = parseKtap(text);
      const counts = countLeaves(tree);
      // No results at all is a verdict too: the kernel crashed before its tests, or never ran them.
      const empty = counts.total === 0 && tree.children.length === 0;
      const status = empty ? 'ERROR' : tree.status;
      const reason = empty ? `${file}: no KTAP or TAP results: the kernel crashed or never ran tests?` : undefined;
      if (v.json)
        out(
          JSON.stringify(
            { status, ...(reason ? { reason } : {}), counts, tests: tree.children.map(ktapJson) },
            null,
            2,
          ),
        );
      else out(empty ? `ERROR  ${reason}` : ktapSummaryLines(tree, counts).join('\n'));
      return parseExitCode(status, counts);
    },
  },
  compare: {
    summary:
      'status changes and metric moves between two runs (reports/<run-id> or a path); with several runs a side, metric regressions by the A/B test; exit 1 on a new failure or regression',
    help: [
      'usage: lab compare RUN_A RUN_B [--json]',
      '       lab compare --a RUN --a RUN… --b RUN --b RUN… [--threshold PCT] [--json]',
      '  with several runs a side: a test fails on a side when it failed in any of its runs; every metric compared as lab ab does',
    ].join('\n'),
    options: {
      json: { type: 'boolean' },
      a: { type: 'string', multiple: true },
      b: { type: 'string', multiple: true },
      threshold: { type: 'string' },
    },
    async run(v, p) {
      const list = (k: 'a' | 'b') => ((v as Record<string, unknown>)[k] as string[] | undefined) ?? [];
      const several = list('a').length > 0 || list('b').length > 0;
      if (several ? p.length > 0 || !list('a').length || !list('b').length : p.length !== 2)
        throw new UsageError(
          'lab compare takes two runs (RUN_A RUN_B), or runs a side (--a RUN… --b RUN…)',
          'runs are run ids under reports/, or report folders',
        );
      const as = (several ? list('a') : [p[0]!]).map(readRunSummary);
      const bs = (several ? list('b') : [p[1]!]).map(readRunSummary);
      const c = compareRuns(worstOf(as.map((x) => x.tests)), worstOf(bs.map((x) => x.tests)));
      const names = (xs: RunSummary[]) => (xs.length === 1 ? xs[0]!.runId : `${xs.length} runs`);
      if (!several || as.length < 2 || bs.length < 2) {
        const metrics = pairMetrics(as[0]!.tests, bs[0]!.tests);
        out(
          v.json
            ? JSON.stringify({ ...c, metrics }, null, 2)
            : formatComparison(c, names(as), names(bs), metricMoves(metrics)),
        );
        return c.regressions.length ? ExitCode.testFailed : ExitCode.ok;
      }
      const threshold = thresholdOption(v.threshold);
      const a = splitRuns(as);
      const b = splitRuns(bs);
      const results = compareSamples(collectSamples(a.counted, b.counted), { threshold: threshold / 100, seed: 1 });
      if (v.json) out(JSON.stringify({ ...c, metrics: results, notCounted: { a: a.failed, b: b.failed } }, null, 2));
      else {
        out(formatComparison(c, names(as), names(bs)));
        for (const m of results)
          out(
            `  ${m.test} ${m.name}: A ${m.medianA} B ${m.medianB} ${m.unit}, B/A ${m.interval.ratio.toFixed(3)} [${m.interval.low.toFixed(3)}, ${m.interval.high.toFixed(3)}], p=${m.rankTest.p.toFixed(3)}: ${m.reported}`,
          );
      }
      return c.regressions.length || regressions(results).length ? ExitCode.testFailed : ExitCode.ok;
    },
  },
  ...abCommands(),
  ...cacheCommands(),
  list: {
    summary: 'list the Debian kernels (and which are fetched), suites, guests and series',
    help: 'usage: lab list',
    options: {},
    async run(_v, _p, { cache }) {
      for (const k of fetchedDebianKernels(cache)) {
        const tag = k.id === DEFAULT_DEBIAN_KERNEL ? ' (default)' : '';
        out(
          `kernel ${k.id.padEnd(20)} ${k.release ? `fetched: ${k.release} (${k.source})` : 'not fetched yet (fetched on first use)'}${tag}`,
        );
      }
      for (const s of knownSuites()) out(`suite  ${s.padEnd(20)} ${loadSuite(s).description ?? ''}`);
      for (const g of knownGuests()) out(`guest  ${g.padEnd(20)} ${loadGuest(g).description ?? ''}`);
      for (const x of knownSeries()) out(`series ${x.padEnd(20)} ${loadSeries(x).spec.description ?? ''}`);
      return ExitCode.ok;
    },
  },
};

/** A matrix file, validated like every YAML file the lab reads (file:line:key on errors). */
function loadMatrix(file: string): MatrixSpec {
  if (!existsSync(file)) throw new UsageError(`no matrix file ${file}`);
  return loadYamlFile(file, MatrixSpecSchema);
}

function planOrConfigError(spec: MatrixSpec, file: string): MatrixPlan {
  try {
    return planMatrix(spec);
  } catch (e) {
    throw new InputFileError(file, undefined, (e as Error).message);
  }
}

/** --test, --runs, --rule and --retries, checked. */
function judging(v: Record<string, string | boolean | undefined>): {
  test?: string;
  runs: number;
  rule: JudgeRule;
  retries: number;
} {
  const int = (name: string, dflt: number, min: number): number => {
    const raw = v[name];
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} ${String(raw)}: a whole number ≥ ${min}`);
    return n;
  };
  const rule = v.rule ?? 'any-bad';
  if (rule !== 'any-bad' && rule !== 'majority') throw new UsageError(`--rule ${String(rule)}: any-bad or majority`);
  return {
    ...(typeof v.test === 'string' ? { test: v.test } : {}),
    runs: int('runs', 1, 1),
    rule,
    retries: int('retries', 1, 0),
  };
}

export function usage(): string {
  const w = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: lab COMMAND [options]',
    '',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
    '',
    'exit codes: 0 all passed, 1 a test failed, 2 usage or config error, 3 infrastructure error, 4 build failed, 130 interrupted',
    '',
  ].join('\n');
}

/** --series / --kernel into a KernelChoice; they exclude each other. */
function kernelChoice(v: Record<string, string | boolean | undefined>): KernelChoice {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (str('series') && str('kernel')) throw new UsageError('--series and --kernel exclude each other');
  if (str('tree') && !str('series')) throw new UsageError('--tree goes with --series');
  if ((str('modules') || str('kconfig')) && !str('kernel'))
    throw new UsageError('--modules and --kconfig go with --kernel');
  const series = str('series');
  if (series) return { kind: 'series', series, ...(str('tree') ? { tree: str('tree')! } : {}) };
  const kernel = str('kernel');
  // A Debian kernel id (debian-6.12, debian-7.2, debian-7.3) unless a file of that name exists.
  if (kernel && debianKernelSpec(kernel) && !existsSync(kernel)) {
    if (str('modules') || str('kconfig'))
      throw new UsageError(`--modules and --kconfig go with a kernel file, not with ${kernel}`);
    return { kind: 'debian', id: kernel };
  }
  if (kernel)
    return {
      kind: 'prebuilt',
      path: kernel,
      ...(str('modules') ? { modules: str('modules')! } : {}),
      ...(str('kconfig') ? { kconfig: str('kconfig')! } : {}),
    };
  return { kind: 'debian' };
}

/** What `lab run --watch` looks at for a kernel choice; a series file that does not read is still watched itself. */
function watchInputsOf(choice: KernelChoice): WatchedInput[] {
  if (choice.kind !== 'series') return watchedInputs(choice);
  try {
    return watchedInputs(choice, loadSeries(choice.series));
  } catch {
    const file = choice.series.includes('/') || choice.series.endsWith('.yaml') ? resolve(choice.series) : undefined;
    return file ? [{ path: file, what: 'series file' }] : [];
  }
}

/** A run by id (under reports/) or by its report folder or summary.json path. */
function readRunSummary(ref: string): RunSummary {
  const candidates = [ref, join(ref, 'summary.json'), join(reportsRoot(), ref, 'summary.json')];
  const file = candidates.find((c) => c.endsWith('.json') && existsSync(c));
  if (!file)
    throw new UsageError(
      `no run '${ref}': expected a run id under ${reportsRoot()} or a report folder with summary.json`,
    );
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch (e) {
    throw new UsageError(`${file}: not a readable summary.json (${(e as Error).message})`);
  }
}
