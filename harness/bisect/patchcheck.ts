import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/state-file.js';
import { join, resolve } from 'node:path';
import { listPatches } from '../series/patch-list.js';
import { loadGuest, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { DEFAULT_DEBIAN_SOURCE, debianSourceId, debianSourceRepo } from '../source/debian-source.js';
import { userTreeClone } from '../source/user-tree.js';
import { gitProbe } from '../source/git.js';
import { hashParts } from '../util/hash.js';
import { reportsRoot } from '../util/paths.js';
import { InputFileError, UsageError } from '../util/errors.js';
import type { Outcome } from '../util/outcome.js';
import { RULE_TEXT, type JudgeRule } from './verdict.js';
import { stepBuildLog, testCommit, type StepOps } from './test-commit.js';
import { stepSeries, writeStepSeries } from './step-series.js';
import { newWarnings, touchedFiles, type WarningState } from './build-warnings.js';
import { VerificationError } from './bisect.js';
import { writePatchcheckReport } from './patchcheck-report.js';
import type { PatchcheckRecord } from './patchcheck-record.js';

export type { PatchcheckRecord, PrefixRecord } from './patchcheck-record.js';

export interface PatchcheckOptions {
  series: string;
  tree?: string;
  suite?: string;
  test?: string;
  /** The guest the suite runs in (default: the suite's), e.g. slub-poison. */
  guest?: string;
  runs: number;
  rule: JudgeRule;
  retries: number;
  /**
   * The first patch to check (1-based): patches before it belong to the base, applied and verified with
   * it (a port's setup patches that do not build on their own, or a prerequisite series).
   */
  from?: number;
  cache: string;
  log: (line: string) => void;
  /** How a step builds and runs (default: the artifact cache and QEMU); swapped in the orchestration's tests. */
  stepOps?: StepOps;
}

/**
 * `lab patchcheck`: builds the base and then each prefix of the series (patch 1, 1-2, ...) in one build
 * directory, so each prefix is an incremental build, and names the first patch that breaks the build,
 * adds compiler warnings in the files it touches, or (with --suite) makes the suite fail.
 */
export async function patchcheck(
  o: PatchcheckOptions,
): Promise<{ record: PatchcheckRecord; dir: string; outcome: Outcome }> {
  if (o.suite) loadSuite(o.suite);
  if (o.guest) {
    if (!o.suite) throw new UsageError('--guest needs --suite');
    loadGuest(o.guest);
  }
  const { spec, file } = loadSeries(o.series);
  const { patches } = await listPatches(spec, file, o.tree);
  if (!patches.length) throw new InputFileError(file, undefined, 'patchcheck needs a series with patches');
  const from = o.from ?? 1;
  if (!Number.isInteger(from) || from < 1 || from > patches.length)
    throw new InputFileError(file, undefined, `--from ${o.from}: the series has patches 1-${patches.length}`);
  const debianId = debianSourceId(spec.base);
  if (debianId && o.tree)
    throw new InputFileError(
      file,
      undefined,
      `base: '${spec.base}' cannot be used with --tree; name a commit of your tree`,
    );
  const sourceId = debianId ?? (spec.source ? debianSourceId(spec.source) : undefined) ?? DEFAULT_DEBIAN_SOURCE;
  const src = o.tree ? await userTreeClone(o.cache, o.tree, o.log) : await debianSourceRepo(o.cache, sourceId, o.log);
  let base: string;
  if (debianId) {
    base = src.base;
  } else {
    const r = await gitProbe(o.tree ? resolve(o.tree) : src.repo, [
      'rev-parse',
      '--verify',
      '--quiet',
      `${spec.base}^{commit}`,
    ]);
    if (!r.ok) throw new InputFileError(file, undefined, `base '${spec.base}' is not a commit`);
    base = r.stdout.trim();
  }
  const id = `patchcheck-${hashParts([['series', readFileSync(file, 'utf8')], ['base', base], ...patches.map((p): [string, Buffer] => ['patch', p.data]), ['suite', o.suite ?? ''], ['test', o.test ?? ''], ['guest', o.guest ?? ''], ['runs', String(o.runs)], ['rule', o.rule], ['from', String(from)]]).slice(0, 10)}`;
  const dir = join(reportsRoot(), id);
  mkdirSync(dir, { recursive: true });
  const record: PatchcheckRecord = {
    id,
    series: spec.name,
    seriesFile: file,
    suite: o.suite,
    test: o.test,
    guest: o.guest,
    rule: RULE_TEXT[o.rule],
    base,
    ...(from > 1 ? { from } : {}),
    prefixes: [],
    startedAt: new Date().toISOString(),
  };
  const save = () => {
    writeJsonAtomic(join(dir, 'patchcheck.json'), record);
    writePatchcheckReport(dir, record);
  };
  o.log(
    `${id}: ${patches.length} patch(es) of ${spec.name}${from > 1 ? `, checking ${from}-${patches.length} (1-${from - 1} with the base)` : ''}; report: ${dir}`,
  );

  let warnings: WarningState = new Map();
  // One series name for every prefix: one worktree and one build directory, so prefix k+1 is incremental on k.
  const name = `patchcheck-${spec.name}`;
  const start = from - 1;
  for (let k = start; k <= patches.length; k++) {
    const prefixDir = join(dir, `prefix-${String(k).padStart(2, '0')}`);
    let patchesDir: string | undefined;
    if (k > 0) {
      patchesDir = join(prefixDir, 'patches');
      rmSync(patchesDir, { recursive: true, force: true });
      mkdirSync(patchesDir, { recursive: true });
      patches
        .slice(0, k)
        .forEach((p, i) => writeFileSync(join(patchesDir!, `${String(i + 1).padStart(4, '0')}.patch`), p.data));
    }
    const seriesFile = join(prefixDir, 'series.yaml');
    const reproduce = o.suite
      ? `lab run ${o.suite}${o.guest ? ` --guest ${o.guest}` : ''} --series ${seriesFile}${o.tree ? ` --tree ${resolve(o.tree)}` : ''}`
      : `lab build --series ${seriesFile}${o.tree ? ` --tree ${resolve(o.tree)}` : ''}`;
    writeStepSeries(
      seriesFile,
      stepSeries(spec, file, {
        name,
        base,
        description: `${spec.name}: ${k ? `patches 1-${k}` : 'base'}${k === start && k ? ' (the base of the check)' : ''}`,
        modules: k === patches.length,
        ...(patchesDir ? { patchesDir } : {}),
      }),
      reproduce,
    );
    const patch = k > start ? patches[k - 1]! : undefined;
    const label = k > start ? `patch ${k}/${patches.length}` : k ? `base + patches 1-${k}` : 'base';
    o.log(`${label}${patch ? ` ${patch.subject}` : ''}`);
    const step = await testCommit(label, patch?.subject ?? 'base', {
      seriesFile,
      tree: o.tree,
      suite: o.suite,
      test: o.test,
      guest: o.guest,
      runs: o.runs,
      retries: o.retries,
      rule: o.rule,
      cache: o.cache,
      log: o.log,
      ops: o.stepOps,
    });
    const touched = patch ? touchedFiles(patch.data.toString('utf8')) : [];
    const w = step.build.ok ? newWarnings(warnings, stepBuildLog(step), touched) : { added: [], state: warnings };
    warnings = w.state;
    const problems: string[] = [];
    if (!step.build.ok) problems.push(`breaks the build: ${step.runs[0]?.reason ?? step.build.error ?? ''}`);
    if (w.added.length)
      problems.push(
        `adds ${w.added.length} compiler warning(s) in files it touches: ${w.added
          .slice(0, 3)
          .map((x) => x.text)
          .join(' | ')}`,
      );
    if (step.build.ok && o.suite && step.verdict === 'bad') problems.push(`fails ${o.test ?? o.suite}: ${step.reason}`);
    record.prefixes.push({
      index: k,
      ...(patch ? { patch: { origin: patch.origin, subject: patch.subject, touched } } : {}),
      step,
      newWarnings: w.added,
      problems,
    });
    o.log(`  => ${problems.length ? problems.join('; ') : 'ok'}`);
    save();
    if (k === start) {
      const what = `the series' base ${base.slice(0, 12)}${k ? ` with patches 1-${k}` : ''}`;
      if (!step.build.ok) throw new VerificationError(`${what} does not build: ${step.reason}`, `report: ${dir}`);
      // Skip is fine at the base: the test may be one the series adds.
      if (o.suite && step.verdict === 'bad')
        throw new VerificationError(`${what} already fails ${o.test ?? o.suite}: ${step.reason}`, `report: ${dir}`);
    } else if (problems.length && !record.firstBad) {
      record.firstBad = { index: k, subject: patch!.subject, origin: patch!.origin, problems, reproduce };
      // Later prefixes contain the broken patch: a failed build stops here, other problems keep going to show the rest.
      if (!step.build.ok) break;
    }
  }
  record.finishedAt = new Date().toISOString();
  save();
  return { record, dir, outcome: record.firstBad ? 'test-failed' : 'ok' };
}
