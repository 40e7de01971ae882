// bisect and patchcheck driven end to end over a real git history with the steps' build and run swapped
// (StepOps): which commits are tested, how verdicts become git bisect's, retries, resume. No make, no QEMU.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bisect, type BisectRecord } from '../../harness/bisect/bisect.js';
import { patchcheck } from '../../harness/bisect/patchcheck.js';
import type { StepOps } from '../../harness/bisect/test-commit.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import type { Outcome } from '../../harness/util/outcome.js';
import { fakeSummary } from '../helpers/fake-summary.js';
import { LabError } from '../../harness/util/errors.js';
import { BuildError } from '../../harness/kbuild/build-errors.js';

const git = (cwd: string, args: string[]) =>
  execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd }).then((r) => r.stdout);

/** A tree of ten commits; commit i writes value=i into the file a test "reads". */
async function history(n = 10): Promise<{ tree: string; commits: string[] }> {
  const tree = mkdtempSync(join(tmpdir(), 'lab-bisect-tree-'));
  await git(tree, ['init', '-q', '-b', 'main']);
  const commits: string[] = [];
  for (let i = 0; i < n; i++) {
    writeFileSync(join(tree, 'value'), `${i}\n`);
    await git(tree, ['add', 'value']);
    await git(tree, ['commit', '-q', '-m', `commit ${i}`]);
    commits.push((await git(tree, ['rev-parse', 'HEAD'])).trim());
  }
  return { tree, commits };
}

function summary(outcome: Outcome, status: 'PASS' | 'FAIL' | 'ERROR', reason?: string): RunSummary {
  return fakeSummary({ suite: 'damon-kunit', name: 'case', status, outcome, reason });
}

/** Steps whose "kernel" is the series file's base commit: bad from `firstBad` on, not building at `broken`. */
function fakeSteps(commits: string[], o: { firstBad: number; broken?: number; infraOnce?: boolean }) {
  const built: number[] = [];
  const runs: number[] = [];
  let infra = o.infraOnce === true;
  const indexOf = (seriesFile: string) =>
    commits.indexOf(/base: ([0-9a-f]{40})/.exec(readFileSync(seriesFile, 'utf8'))![1]!);
  const ops: StepOps = {
    async build({ seriesFile }) {
      const i = indexOf(seriesFile);
      built.push(i);
      if (i === o.broken) throw new BuildError('bzImage', '/l', ['value.c:1: error: x']);
      return { commit: commits[i]!, seconds: 1, cached: false, artifactDir: `/a/${i}` };
    },
    async run({ artifactDir }) {
      const i = Number(artifactDir.split('/').pop());
      runs.push(i);
      if (infra) {
        infra = false;
        return summary('guest-lost', 'ERROR');
      }
      return i >= o.firstBad ? summary('test-failed', 'FAIL', `value ${i}`) : summary('ok', 'PASS');
    },
  };
  return { ops, built, runs };
}

const base = { suite: 'damon-kunit', test: 'damon-kunit.case', runs: 1, rule: 'any-bad' as const, retries: 1 };

/** A bisection of the whole history (first commit good, last bad) with these steps, in fresh folders. */
async function bisectHistory(h: { tree: string; commits: string[] }, steps: { ops: StepOps }) {
  process.env.LAB_REPORTS = mkdtempSync(join(tmpdir(), 'lab-bisect-reports-'));
  const cache = mkdtempSync(join(tmpdir(), 'lab-bisect-cache-'));
  const { tree, commits } = h;
  return bisect({ ...base, good: commits[0]!, bad: commits.at(-1)!, tree, cache, log: () => {}, stepOps: steps.ops });
}

t.test(
  'bisect: the first bad commit in ⌈log2 n⌉+1 steps or fewer, both ends verified, git bisect driven by the verdicts',
  async (t) => {
    const { tree, commits } = await history();
    const steps = fakeSteps(commits, { firstBad: 6 });
    const r = await bisectHistory({ tree, commits }, steps);
    t.equal(r.outcome, 'ok');
    t.equal(r.state.result?.kind, 'found');
    t.equal((r.state.result as { commit: string }).commit, commits[6]);
    t.same(steps.built.slice(0, 2), [0, 9], 'good end, then bad end, first');
    t.ok(
      r.state.steps.length <= r.state.stepBound,
      `${r.state.steps.length} steps within the bound ${r.state.stepBound}`,
    );
    const saved = JSON.parse(readFileSync(join(r.dir, 'bisect.json'), 'utf8')) as BisectRecord;
    t.equal(saved.result?.kind, 'found', 'the record on disk says so');
    t.match(readFileSync(join(r.dir, 'report.html'), 'utf8'), /commit 6/);
  },
);

t.test('bisect: a commit that does not build is skipped, an infrastructure failure retried, not judged', async (t) => {
  const { tree, commits } = await history();
  const steps = fakeSteps(commits, { firstBad: 6, broken: 5, infraOnce: true });
  const r = await bisectHistory({ tree, commits }, steps);
  t.equal(steps.runs[0], 0);
  t.equal(steps.runs[1], 0, 'the good end ran again after the guest was lost');
  t.equal(r.state.verification.good?.verdict, 'good');
  const skipped = r.state.steps.filter((s) => s.verdict === 'skip');
  t.ok(
    skipped.length && skipped.every((s) => s.commit === commits[5] && /build failed/.test(s.reason)),
    'only the broken commit is skip, for its build',
  );
  // Next to the first bad commit, the one that does not build leaves git two candidates (its exit 2).
  t.same(r.state.result, {
    kind: 'ambiguous',
    candidates: [5, 6].map((i) => ({ commit: commits[i], subject: `commit ${i}` })),
  });
  t.equal(r.outcome, 'test-failed');
  const away = fakeSteps(commits, { firstBad: 6, broken: 3 });
  const found = await bisectHistory({ tree, commits }, away);
  t.equal(
    (found.state.result as { commit: string }).commit,
    commits[6],
    'a broken commit away from the culprit does not hide it',
  );
});

t.test('bisect: a good end that fails stops before any step (exit 2 class), with the report kept', async (t) => {
  const { tree, commits } = await history();
  const steps = fakeSteps(commits, { firstBad: 0 });
  const e = await bisectHistory({ tree, commits }, steps).then(
    () => undefined,
    (x: LabError) => x,
  );
  t.equal(e?.outcome, 'usage');
  t.match(e?.message, /the good end .* is not good: bad/);
  t.same(steps.built, [0], 'nothing after the good end');
});

t.test('patchcheck: each prefix of a series; the first patch that fails is named', async (t) => {
  const { tree } = await history(1);
  const cache = mkdtempSync(join(tmpdir(), 'lab-pc-cache-'));
  process.env.LAB_REPORTS = mkdtempSync(join(tmpdir(), 'lab-pc-reports-'));
  // Three patches on the tree, made with git itself; the second breaks the test.
  const work = mkdtempSync(join(tmpdir(), 'lab-pc-work-'));
  await execa('git', ['clone', '-q', tree, work]);
  for (const [i, v] of [
    [1, 'ok'],
    [2, 'bad'],
    [3, 'ok'],
  ] as const) {
    writeFileSync(join(work, `file${i}`), `${v}\n`);
    await git(work, ['add', '.']);
    await git(work, ['commit', '-q', '-m', `patch ${i}: ${v}`]);
  }
  const patches = join(work, 'patches');
  mkdirSync(patches);
  await git(work, ['format-patch', '-q', '-o', patches, 'HEAD~3']);
  const head = (await git(tree, ['rev-parse', 'HEAD'])).trim();
  const seriesFile = join(work, 'series.yaml');
  writeFileSync(seriesFile, `name: pc-test\nbase: ${head}\nconfigs: [damon]\npatches: { dir: patches }\n`);
  let badFrom = Infinity;
  const ops: StepOps = {
    async build({ seriesFile: f }) {
      const n = Number(/prefix-(\d+)/.exec(f)![1]); // patchcheck writes prefix k's series under prefix-k/
      return { commit: head, seconds: 1, cached: false, artifactDir: `/a/${n}` };
    },
    async run({ artifactDir }) {
      const n = Number(artifactDir.split('/').pop());
      if (n >= 2) badFrom = Math.min(badFrom, n);
      return n >= 2 ? summary('test-failed', 'FAIL') : summary('ok', 'PASS');
    },
  };
  const r = await patchcheck({ ...base, series: seriesFile, tree, cache, log: () => {}, stepOps: ops });
  t.equal(r.outcome, 'test-failed');
  t.match(r.record.firstBad?.subject ?? '', /patch 2: bad/);
  t.equal(badFrom, 2);
});
