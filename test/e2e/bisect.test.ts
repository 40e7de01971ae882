import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { alive, lab, labBin, newReportsDir, qemuChildrenOf, repo } from './lab-cli.js';
import { cacheRoot } from '../../harness/util/paths.js';
import { fixtureHistory } from '../../harness/bench/fixture-history.js';
import type { BisectRecord } from '../../harness/bisect/bisect.js';
import type { PatchcheckRecord } from '../../harness/bisect/patchcheck.js';

// The fixture history: Debian 6.12 + the lab-fixture module (good), then six commits: two harmless,
// one that does not build, its fix, one that makes damon_lab_fixture_test_clamped fail, one harmless.
const TEST = 'damon-kunit.damon_lab_fixture';

t.test(
  'lab bisect: names the commit that breaks the KUnit case, skips the one that does not build, resumes after Ctrl-C',
  async (t) => {
    const h = await fixtureHistory(cacheRoot());
    const culprit = h.commits.find((c) => c.subject.includes('cap shares at 9999'))!;
    const broken = h.commits.find((c) => c.subject.includes("call the helper's first argument"))!;
    const refsBefore = (await execa('git', ['-C', h.tree, 'for-each-ref'])).stdout;
    const reports = newReportsDir();
    const args = [
      labBin,
      'bisect',
      '--tree',
      h.tree,
      '--good',
      'fixture-good',
      '--bad',
      'fixture-bad',
      '--suite',
      'damon-kunit',
      '--test',
      TEST,
      '--series',
      'lab-fixture-configs',
    ];

    // First attempt: interrupted once the first bisection step is judged.
    const child = execa('node', args, { reject: false, all: true, env: { LAB_REPORTS: reports }, cwd: repo });
    let text = '';
    let qemus: number[] = [];
    child.all!.on('data', (d: Buffer) => {
      text += d.toString();
      qemus = [...new Set([...qemus, ...qemuChildrenOf(child.pid!)])];
      if (/^step 2\b/m.test(text)) child.kill('SIGINT');
    });
    const first = await child;
    t.equal(first.exitCode, 130, `interrupted run exits 130\n${first.all.slice(-3000)}`);
    t.ok(
      qemus.every((p) => !alive(p)),
      'no QEMU left behind',
    );
    const id = readdirSync(reports).find((d) => d.startsWith('bisect-'))!;
    const partial = JSON.parse(readFileSync(join(reports, id, 'bisect.json'), 'utf8')) as BisectRecord;
    t.equal(partial.steps.length, 1, 'one step was judged and kept');
    t.equal(partial.verification.good?.verdict, 'good', 'the good end was verified');
    t.equal(partial.verification.bad?.verdict, 'bad', 'the bad end was verified');

    // Second attempt: the same command resumes from bisect.json.
    const second = await execa('node', args, { reject: false, all: true, env: { LAB_REPORTS: reports }, cwd: repo });
    t.equal(second.exitCode, 0, second.all.slice(-4000));
    t.match(second.all, /resuming bisect-\w+: 1 step\(s\) already judged/);
    t.match(second.stdout, new RegExp(`first bad commit: ${culprit.sha} ${culprit.subject.replace(/[()]/g, '.')}`));
    const b = JSON.parse(readFileSync(join(reports, id, 'bisect.json'), 'utf8')) as BisectRecord;
    t.equal(b.result?.kind, 'found');
    if (b.result?.kind === 'found') {
      t.equal(b.result.commit, culprit.sha);
      t.match(b.result.diffstat, /mm\/damon\/damon_lab_fixture\.c \| 2 \+-/);
      t.match(b.result.reproduce, /^lab run damon-kunit --series \S+\/steps\/\w{12}\.yaml --tree /);
      t.match(b.result.verdictReason, /bad/);
    }
    const skipped = b.steps.find((s) => s.commit === broken.sha);
    t.ok(skipped, 'the commit that does not build was a step');
    t.equal(skipped?.verdict, 'skip');
    t.match(skipped?.reason, /build failed: .*share/);
    t.ok(b.steps.length <= b.stepBound, `${b.steps.length} steps within ⌈log2 ${b.candidates}⌉ + 1 = ${b.stepBound}`);
    t.ok(
      b.steps.filter((s) => s.verdict !== 'skip').every((s) => s.runs.every((r) => r.runId)),
      'every judged run links its report',
    );
    t.equal(b.resumed, 1);
    t.match(readFileSync(join(reports, id, 'report.html'), 'utf8'), /First bad commit/);
    t.ok(existsSync(join(reports, id, 'summary.txt')));
    t.equal(
      (await execa('git', ['-C', h.tree, 'for-each-ref'])).stdout,
      refsBefore,
      'the tree given with --tree is untouched',
    );
    t.notOk(existsSync(join(h.tree, 'BISECT_LOG')), 'no bisection state in the given tree');
  },
);

t.test('lab bisect: a good end that fails stops before bisecting', async (t) => {
  const h = await fixtureHistory(cacheRoot());
  const culprit = h.commits.find((c) => c.subject.includes('cap shares at 9999'))!;
  const r = await lab([
    'bisect',
    '--tree',
    h.tree,
    '--good',
    culprit.sha,
    '--bad',
    'fixture-bad',
    '--suite',
    'damon-kunit',
    '--test',
    TEST,
    '--series',
    'lab-fixture-configs',
    '--quiet',
  ]);
  t.equal(r.exitCode, 2, r.all);
  t.match(
    r.stderr,
    new RegExp(`the good end ${culprit.sha} \\(${culprit.sha.slice(0, 12)}\\) is not good: bad — .*test_clamped FAIL`),
  );
});

t.test('lab bisect: bad input', async (t) => {
  const h = await fixtureHistory(cacheRoot());
  const r = await lab([
    'bisect',
    '--tree',
    h.tree,
    '--good',
    'no-such-rev',
    '--bad',
    'fixture-bad',
    '--suite',
    'damon-kunit',
    '--quiet',
  ]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /--good no-such-rev: not a commit/);
  const swapped = await lab([
    'bisect',
    '--tree',
    h.tree,
    '--good',
    'fixture-bad',
    '--bad',
    'fixture-good',
    '--suite',
    'damon-kunit',
    '--quiet',
  ]);
  t.equal(swapped.exitCode, 2);
  t.match(swapped.stderr, /--good fixture-bad is not an ancestor of --bad fixture-good/);
  const suite = await lab(['bisect', '--good', 'a', '--bad', 'b', '--suite', 'no-such-suite']);
  t.equal(suite.exitCode, 2);
  t.match(suite.stderr, /no-such-suite/);
  const runs = await lab(['bisect', '--good', 'a', '--bad', 'b', '--suite', 'damon-kunit', '--runs', '0']);
  t.equal(runs.exitCode, 2);
  t.match(runs.stderr, /--runs 0: a whole number ≥ 1/);
});

t.test(
  'lab patchcheck: names the first patch that adds a warning, and the one that fails the KUnit case',
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['patchcheck', '--series', 'lab-fixture-regress', '--suite', 'damon-kunit', '--test', TEST], {
      reports,
    });
    t.equal(r.exitCode, 1, r.all.slice(-4000));
    t.match(r.stdout, /first bad patch: 4 \[PATCH 4\/5\] mm\/damon\/lab_fixture: count loads/);
    const id = readdirSync(reports).find((d) => d.startsWith('patchcheck-'))!;
    const p = JSON.parse(readFileSync(join(reports, id, 'patchcheck.json'), 'utf8')) as PatchcheckRecord;
    t.same(
      p.prefixes.map((x) => x.index),
      [0, 1, 2, 3, 4, 5],
      'the base and every prefix',
    );
    t.same(
      p.prefixes.slice(0, 4).map((x) => x.problems),
      [[], [], [], []],
      'the base and the lab-fixture patches are good',
    );
    t.equal(p.prefixes[0]!.step.verdict, 'skip', 'the base has no fixture test yet: skip, not bad');
    t.equal(p.prefixes[3]!.step.verdict, 'good', 'after patch 3 the fixture KUnit suite passes');
    t.match(
      p.prefixes[4]!.problems.join(),
      /adds 1 compiler warning\(s\) in files it touches: .*.loads. defined but not used/,
    );
    t.match(p.prefixes[5]!.problems.join(), /fails damon-kunit\.damon_lab_fixture: .*test_clamped FAIL/);
    t.equal(p.firstBad?.index, 4);
    t.match(p.firstBad?.reproduce, /^lab run damon-kunit --series \S+prefix-04\/series\.yaml$/);
    t.ok(
      p.prefixes.slice(1).every((x) => x.step.build.ok),
      'every prefix built',
    );
  },
);
