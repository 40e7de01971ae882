import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readJsonRecord, writeJsonAtomic } from '../util/state-file.js';
import { join, resolve } from 'node:path';
import { shq } from '../guest/shell-quote.js';
import { DEFAULT_DEBIAN_SOURCE, debianSourceId, debianSourceRepo } from '../source/debian-source.js';
import { userTreeClone } from '../source/user-tree.js';
import { git, gitProbe } from '../source/git.js';
import { ensureWorktree } from '../series/apply-series.js';
import { acquireLock } from '../util/lock.js';
import { listPatches } from '../series/patch-list.js';
import { seriesWorktree } from '../kbuild/build-kernel.js';
import { loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { SeriesSpecSchema } from '../schema/series.js';
import { hashParts } from '../util/hash.js';
import { reportsRoot } from '../util/paths.js';
import { InfraError, LabError, UsageError } from '../util/errors.js';
import type { Outcome } from '../util/outcome.js';
import { parseBisectOutput, RULE_TEXT, stepBound, type BisectState, type JudgeRule } from './verdict.js';
import { testCommit, type StepOps, type StepRecord } from './test-commit.js';
import { stepSeries, writeStepSeries } from './step-series.js';
import { writeBisectReport } from './bisect-report.js';
import type { BisectOptions, BisectRecord } from './bisect-record.js';

export type { BisectOptions, BisectRecord } from './bisect-record.js';

export class VerificationError extends LabError {
  constructor(message: string, details?: string) {
    super(message, 'usage', details);
  }
}

const DEFAULT_TEMPLATE = { name: 'bisect', configs: ['damon', 'kunit'], artifacts: { selftests: [] } };

/**
 * `lab bisect`: checks both ends (the good end must pass, the bad end must fail), then drives `git bisect`
 * in the lab's own worktree of the tree (the user's checkout is never touched), one build and suite run
 * per step. Steps go to reports/<id>/bisect.json as they finish; running the same command again resumes
 * from there.
 */
export async function bisect(o: BisectOptions): Promise<{ state: BisectRecord; dir: string; outcome: Outcome }> {
  loadSuite(o.suite); // an unknown suite is exit 2 before anything is built
  const template = o.series
    ? loadSeries(o.series)
    : { spec: SeriesSpecSchema.parse(DEFAULT_TEMPLATE), file: undefined };
  const src = o.tree
    ? await userTreeClone(o.cache, o.tree, o.log)
    : await debianSourceRepo(
        o.cache,
        debianSourceId(template.spec.base) ??
          (template.spec.source ? debianSourceId(template.spec.source) : undefined) ??
          DEFAULT_DEBIAN_SOURCE,
        o.log,
      );
  const where = o.tree ? resolve(o.tree) : src.repo;
  const goodCommit = await resolveRev(where, o.good, '--good');
  const badCommit = await resolveRev(where, o.bad, '--bad');
  const ancestor = await gitProbe(src.repo, ['merge-base', '--is-ancestor', goodCommit, badCommit]);
  if (!ancestor.ok) throw new UsageError(`--good ${o.good} is not an ancestor of --bad ${o.bad}`);
  const candidates = Number((await git(src.repo, ['rev-list', '--count', `${goodCommit}..${badCommit}`])).trim());

  const id = `bisect-${hashParts([
    ['repo', src.repo],
    ['good', goodCommit],
    ['bad', badCommit],
    ['suite', o.suite],
    ['test', o.test ?? ''],
    ['series', template.file ? readFileSync(template.file, 'utf8') : ''],
    ['runs', String(o.runs)],
    ['rule', o.rule],
  ]).slice(0, 10)}`;
  const dir = join(reportsRoot(), id);
  const stateFile = join(dir, 'bisect.json');
  // One worktree per tree for every bisection of it, for git bisect's state. The steps build in the build slot of
  // their series (kbuild/build-kernel.ts: one per base config and fragment files), so a second bisect of the same
  // tree, or any build of that configuration, starts from the last one's objects: an incremental build.
  const worktree = seriesWorktree(o.cache, src.repo, BISECT_WORKTREE);
  let state: BisectRecord;
  const saved = readJsonRecord<BisectRecord>(stateFile, o.log);
  if (saved && !saved.result) {
    state = saved;
    state.resumed++;
    o.log(`resuming ${id}: ${state.steps.length} step(s) already judged (${stateFile})`);
  } else {
    state = {
      id,
      command: commandLine(o),
      args: {
        good: o.good,
        bad: o.bad,
        suite: o.suite,
        test: o.test,
        series: o.series,
        ...(o.tree ? { tree: resolve(o.tree) } : {}),
        runs: o.runs,
        rule: o.rule,
        retries: o.retries,
      },
      rule: RULE_TEXT[o.rule],
      repo: src.repo,
      worktree,
      goodCommit,
      badCommit,
      candidates,
      stepBound: stepBound(candidates),
      verification: {},
      steps: [],
      startedAt: new Date().toISOString(),
      resumed: 0,
    };
  }
  mkdirSync(dir, { recursive: true });
  const save = () => {
    writeJsonAtomic(stateFile, state);
    writeBisectReport(dir, state);
  };
  save();
  o.log(
    `${id}: ${candidates} candidate commit(s) in ${o.good}..${o.bad}; judged by ${o.test ?? `the whole suite ${o.suite}`}; report: ${dir}`,
  );

  // The template's patches, if any, go on top of every step: the bisection is of the tree under them.
  let patchesDir: string | undefined;
  const patches = (await listPatches(template.spec, template.file ?? join(dir, 'series.yaml'), o.tree)).patches;
  if (patches.length) {
    patchesDir = join(dir, 'series-patches');
    mkdirSync(patchesDir, { recursive: true });
    patches.forEach((p, i) => writeFileSync(join(patchesDir!, `${String(i + 1).padStart(4, '0')}.patch`), p.data));
  }
  const tester = async (commit: string, label: string): Promise<StepRecord> => {
    const subject = (await git(src.repo, ['log', '-1', '--format=%s', commit])).trim();
    const file = join(dir, 'steps', `${commit.slice(0, 12)}.yaml`);
    const series = stepSeries(template.spec, template.file, {
      name: BISECT_WORKTREE,
      base: commit,
      description: `${id} at ${commit.slice(0, 12)}`,
      modules: false,
      ...(patchesDir ? { patchesDir } : {}),
    });
    writeStepSeries(file, series, reproduceLine(o, file));
    o.log(`${label} ${commit.slice(0, 12)} ${subject}`);
    const step = await testCommit(label, subject, {
      seriesFile: file,
      tree: o.tree,
      suite: o.suite,
      test: o.test,
      runs: o.runs,
      retries: o.retries,
      rule: o.rule,
      cache: o.cache,
      log: o.log,
      ops: o.stepOps,
    });
    // A step whose kernel did not build never got a commit from the build: it is this one.
    step.commit ??= commit;
    o.log(`  => ${step.verdict}: ${step.reason}`);
    return step;
  };

  const release = acquireLock(
    `${worktree}.lock`,
    `the bisect worktree of ${o.tree ? resolve(o.tree) : 'the Debian source'}`,
  );
  try {
    return await bisectSteps();
  } finally {
    release();
  }

  async function bisectSteps(): Promise<{ state: BisectRecord; dir: string; outcome: Outcome }> {
    // Verification first (ktest's CHECK): a good end that fails, or a bad end that passes, stops here.
    state.verification.good ??= await tester(goodCommit, 'verify good end');
    save();
    if (state.verification.good.verdict !== 'good') {
      throw new VerificationError(
        `the good end ${o.good} (${goodCommit.slice(0, 12)}) is not good: ${state.verification.good.verdict} — ${state.verification.good.reason}`,
        `report: ${dir}`,
      );
    }
    state.verification.bad ??= await tester(badCommit, 'verify bad end');
    save();
    if (state.verification.bad.verdict !== 'bad') {
      throw new VerificationError(
        `the bad end ${o.bad} (${badCommit.slice(0, 12)}) is not bad: ${state.verification.bad.verdict} — ${state.verification.bad.reason}`,
        `report: ${dir}`,
      );
    }

    // Only git bisect's state lives here (it runs with --no-checkout): the steps build in their series' build slot.
    await ensureWorktree(src.repo, worktree, badCommit, { checkout: false });
    await gitProbe(worktree, ['bisect', 'reset', '--quiet']);
    // --no-checkout: the build checks a commit out itself, touching only the files that differ.
    let said: BisectState = parseBisectOutput(
      await git(worktree, ['bisect', 'start', '--no-checkout', badCommit, goodCommit]),
    );
    for (const s of state.steps) said = parseBisectOutput(await bisectSays(worktree, [s.verdict, s.commit!]));
    while (said.kind === 'next') {
      const commit = said.commit ?? (await git(worktree, ['rev-parse', 'BISECT_HEAD'])).trim();
      const step = await tester(
        commit,
        `step ${state.steps.length + 1}${said.stepsLeft !== undefined ? ` (~${said.stepsLeft + 1} left)` : ''}`,
      );
      state.steps.push(step);
      save();
      said = parseBisectOutput(await bisectSays(worktree, [step.verdict, commit]));
    }
    await gitProbe(worktree, ['bisect', 'reset', '--quiet']);

    if (said.kind === 'found') {
      const subject = (await git(src.repo, ['log', '-1', '--format=%s', said.commit])).trim();
      const diffstat = (await git(src.repo, ['show', '--stat', '--format=', said.commit])).trim();
      const judged = [...state.steps, state.verification.bad].find((s) => s?.commit === said.commit);
      const file = join(dir, 'steps', `${said.commit.slice(0, 12)}.yaml`);
      state.result = {
        kind: 'found',
        commit: said.commit,
        subject,
        diffstat,
        reproduce: reproduceLine(o, file),
        verdictReason: judged?.reason ?? '',
      };
    } else {
      const candidatesOut: Array<{ commit: string; subject: string }> = [];
      for (const c of said.candidates)
        candidatesOut.push({ commit: c, subject: (await git(src.repo, ['log', '-1', '--format=%s', c])).trim() });
      state.result = { kind: 'ambiguous', candidates: candidatesOut };
    }
    state.finishedAt = new Date().toISOString();
    save();
    return { state, dir, outcome: state.result.kind === 'found' ? 'ok' : 'test-failed' };
  }
}

/** The worktree of git bisect's state in a tree, and the series name of every step (its build log's folder). */
export const BISECT_WORKTREE = 'bisect';

/**
 * `git bisect good|bad|skip`'s output. Exit 2 is an answer, not a failure: only skipped commits are left
 * (a commit that does not build next to the first bad one), and the output lists the candidates.
 */
async function bisectSays(worktree: string, args: readonly string[]): Promise<string> {
  const r = await gitProbe(worktree, ['bisect', ...args]);
  if (r.ok || (r.exitCode === 2 && /only 'skip'ped commits left/.test(r.stdout))) return r.stdout;
  throw new InfraError(`git bisect ${args.join(' ')} failed (exit ${r.exitCode})`, r.stderr.trim() || r.stdout.trim());
}

async function resolveRev(repo: string, rev: string, flag: string): Promise<string> {
  const r = await gitProbe(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (!r.ok) throw new UsageError(`${flag} ${rev}: not a commit in ${repo}`);
  return r.stdout.trim();
}

function commandLine(o: BisectOptions): string {
  return [
    'lab',
    'bisect',
    '--good',
    o.good,
    '--bad',
    o.bad,
    '--suite',
    o.suite,
    ...(o.test ? ['--test', o.test] : []),
    ...(o.series ? ['--series', o.series] : []),
    ...(o.tree ? ['--tree', resolve(o.tree)] : []),
    ...(o.runs !== 1 ? ['--runs', String(o.runs)] : []),
    ...(o.rule !== 'any-bad' ? ['--rule', o.rule] : []),
  ]
    .map(shq)
    .join(' ');
}

function reproduceLine(o: { suite: string; tree?: string }, seriesFile: string): string {
  return ['lab', 'run', o.suite, '--series', seriesFile, ...(o.tree ? ['--tree', resolve(o.tree)] : [])].join(' ');
}
