import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernel } from '../kbuild/build-kernel.js';
import { BuildError } from '../kbuild/build-errors.js';
import { ConfigDroppedError } from '../kconfig/make-config.js';
import { runSuite } from '../run/run-suite.js';
import type { RunSummary } from '../run/run-summary.js';
import type { SeriesSpec } from '../schema/series.js';
import { loadSeries } from '../suites/suite-catalog.js';
import { LabError } from '../util/errors.js';
import { judgeStep, readRun, type JudgeRule, type RunReading, type Verdict } from './verdict.js';

/** One tested commit (or series prefix): its build, its runs, its verdict. Kept in bisect.json / patchcheck.json. */
export interface StepRecord {
  label: string;
  commit?: string;
  subject: string;
  seriesFile: string;
  build: { ok: boolean; seconds: number; cached: boolean; error?: string; logPath?: string; artifactDir?: string };
  runs: RunReading[];
  verdict: Verdict;
  reason: string;
  seconds: number;
}

/**
 * What a step does to the world: build a series file's kernel, run a suite on it. The real ones build
 * through the artifact cache and boot QEMU; bisect's and patchcheck's orchestration tests swap them.
 */
export interface StepOps {
  build(o: {
    spec: SeriesSpec;
    seriesFile: string;
    tree?: string;
    cache: string;
    log: (line: string) => void;
  }): Promise<{ commit: string; seconds: number; cached: boolean; artifactDir: string }>;
  run(o: {
    suite: string;
    guest?: string;
    artifactDir: string;
    seriesFile: string;
    /** Keep the booted guest for the step's next runs (a step's kernel is new: a single run saves nothing). */
    save: boolean;
    log: (line: string) => void;
  }): Promise<RunSummary>;
}

export const labStepOps: StepOps = {
  async build(o) {
    const b = await buildKernel({
      series: o.spec,
      seriesFile: o.seriesFile,
      tree: o.tree,
      cache: o.cache,
      log: o.log,
    });
    return { commit: b.commit, seconds: b.seconds, cached: b.cached, artifactDir: b.artifactDir };
  },
  async run(o) {
    // The kernel just built, by its artifact: no second clone fetch, patch listing and cache lookup per run.
    const kernel = { kind: 'built' as const, artifactDir: o.artifactDir, series: o.seriesFile };
    const snapshots = o.save ? ('on' as const) : ('restore-only' as const);
    return (await runSuite({ suite: o.suite, guest: o.guest, kernel, quickStop: true, snapshots, log: o.log })).summary;
  },
};

export interface TestCommitOptions {
  /** Default: labStepOps. */
  ops?: StepOps;
  seriesFile: string;
  tree?: string;
  /** No suite: the step is judged by its build alone. */
  suite?: string;
  test?: string;
  /** The guest to run the suite in (a name or a file); default: the suite's. */
  guest?: string;
  runs: number;
  /** Extra attempts of a run that failed for infrastructure reasons (boot timeout, QEMU died). */
  retries: number;
  rule: JudgeRule;
  cache: string;
  log: (line: string) => void;
}

/**
 * Builds the kernel a series file describes (the artifact cache answers a repeat; a changed commit
 * rebuilds incrementally in the series' one build directory), then runs the suite `runs` times.
 * A build that fails makes the step skip: the `git bisect run` convention (exit 125).
 */
export async function testCommit(label: string, subject: string, o: TestCommitOptions): Promise<StepRecord> {
  const t0 = performance.now();
  const ops = o.ops ?? labStepOps;
  const { spec, file } = loadSeries(o.seriesFile);
  const record: StepRecord = {
    label,
    subject,
    seriesFile: file,
    build: { ok: false, seconds: 0, cached: false },
    runs: [],
    verdict: 'skip',
    reason: '',
    seconds: 0,
  };
  try {
    const b = await ops.build({
      spec,
      seriesFile: file,
      tree: o.tree,
      cache: o.cache,
      log: (l) => o.log(`    ${l}`),
    });
    record.commit = b.commit;
    record.build = {
      ok: true,
      seconds: round(b.seconds),
      cached: b.cached,
      artifactDir: b.artifactDir,
      logPath: join(b.artifactDir, 'build.log'),
    };
  } catch (e) {
    if (!(e instanceof BuildError || e instanceof ConfigDroppedError)) throw e;
    const first = e.message.split('\n')[0]!;
    record.build = {
      ok: false,
      seconds: round((performance.now() - t0) / 1000),
      cached: false,
      error: `${first}${e.details ? `\n${e.details}` : ''}`,
      ...(e instanceof BuildError ? { logPath: e.logPath } : {}),
    };
    record.runs = [
      {
        verdict: 'skip',
        reason:
          e instanceof BuildError
            ? `build failed: ${firstError(e)}`
            : `cannot configure: ${e.message.split('\n')[1]?.trim() ?? first}`,
        buildFailed: true,
      },
    ];
    return finish(record, o, t0);
  }
  if (!o.suite) {
    record.runs = [{ verdict: 'good', reason: 'builds' }];
    return finish(record, o, t0);
  }
  for (let run = 0; run < o.runs; run++) {
    let reading: RunReading | undefined;
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      const summary = await ops.run({
        suite: o.suite,
        guest: o.guest,
        artifactDir: record.build.artifactDir!,
        seriesFile: file,
        save: o.runs > 1,
        log: (l) => o.log(`    ${l}`),
      });
      if (summary.outcome === 'interrupted') throw new LabError('interrupted', 'interrupted');
      reading = readRun(summary, o.test);
      o.log(
        `  run ${run + 1}/${o.runs}${attempt ? ` (retry ${attempt})` : ''}: ${reading.verdict} — ${reading.reason}`,
      );
      if (reading.verdict !== 'infra') break;
    }
    record.runs.push(reading!);
  }
  return finish(record, o, t0);
}

function finish(record: StepRecord, o: TestCommitOptions, t0: number): StepRecord {
  const j = judgeStep(record.runs, o.rule);
  record.verdict = j.verdict;
  record.reason = j.reason;
  record.seconds = round((performance.now() - t0) / 1000);
  return record;
}

function firstError(e: BuildError): string {
  const first = (e.details ?? '').split('\n').find((l) => /error/.test(l));
  return (first ?? e.message.split('\n')[0]!).trim().slice(0, 200);
}

const round = (s: number) => Math.round(s * 10) / 10;

/** The build log of a step, for warning checks (empty when gone). */
export function stepBuildLog(step: StepRecord): string {
  return step.build.logPath && existsSync(step.build.logPath) ? readFileSync(step.build.logPath, 'utf8') : '';
}
