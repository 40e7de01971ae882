// lab run --watch: what it watches for each kind of kernel, how a change is seen (and a burst of writes waited out),
// and the loop: a run, a change, a rerun with the comparison printed, a run that cannot start said and watched past,
// Ctrl-C ending it with the last run's code.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { changedInputs, gitRefPaths, inputState, readStates, watchedInputs } from '../../harness/watch/watch-inputs.js';
import { watchRuns } from '../../harness/watch/watch-runs.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { InputFileError, InterruptedError } from '../../harness/util/errors.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import { compareRuns, formatComparison, metricMoves, pairMetrics } from '../../harness/compare/compare-runs.js';
import type { TestRecord } from '../../harness/results/model.js';

const root = mkdtempSync(join(tmpdir(), 'watch-unit-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('a series: its file, patches, fragments (the lab base first) and the tree’s refs', async (t) => {
  const dir = join(root, 's1');
  mkdirSync(join(dir, 'p'), { recursive: true });
  const file = join(dir, 'x.yaml');
  const spec = SeriesSpecSchema.parse({ name: 'x', patches: { dir: 'p' }, configs: ['damon', 'extra.config'] });
  const got = watchedInputs({ kind: 'series', series: file }, { spec, file });
  t.same(
    got.map((i) => i.what),
    ['series file', 'patches', 'config fragment lab-base', 'config fragment damon', 'config fragment extra.config'],
  );
  t.equal(got[1]!.path, join(dir, 'p'));
  t.match(got[2]!.path, /kernel\/configs\/lab-base\.config$/);
  t.equal(got[4]!.path, join(dir, 'extra.config'), 'relative to the series file');
  const mbox = SeriesSpecSchema.parse({ name: 'y', patches: { mbox: 'a.mbx' }, base_config: 'defconfig', configs: [] });
  t.same(
    watchedInputs({ kind: 'series', series: file }, { spec: mbox, file }).map((i) => [i.what, i.path]),
    [
      ['series file', file],
      ['patches (mbox)', join(dir, 'a.mbx')],
    ],
  );
  t.same(watchedInputs({ kind: 'debian', id: 'debian-7.2' }), [], 'a Debian kernel never changes');
});

t.test('a git tree’s refs: a checkout, a bare repository, a worktree (its HEAD, the common refs)', async (t) => {
  const repo = join(root, 'repo');
  const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, stdio: 'pipe' });
  mkdirSync(repo);
  git(repo, 'init', '-q');
  t.same(gitRefPaths(repo), [
    join(repo, '.git', 'HEAD'),
    join(repo, '.git', 'packed-refs'),
    join(repo, '.git', 'refs'),
  ]);
  const bare = join(root, 'bare.git');
  git(root, 'init', '-q', '--bare', bare);
  t.same(gitRefPaths(bare), [join(bare, 'HEAD'), join(bare, 'packed-refs'), join(bare, 'refs')]);
  git(repo, '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '--allow-empty', '-m', 'x');
  const wt = join(root, 'wt');
  git(repo, 'worktree', 'add', '-q', wt);
  const paths = gitRefPaths(wt);
  t.equal(paths[0], join(repo, '.git', 'worktrees', 'wt', 'HEAD'), 'the worktree’s own HEAD');
  t.same(paths.slice(1), [join(repo, '.git', 'packed-refs'), join(repo, '.git', 'refs')], 'the refs all share');
  const s = watchedInputs(
    { kind: 'series', series: 'x', tree: repo },
    { spec: SeriesSpecSchema.parse({ name: 'x', base_config: 'defconfig', configs: [] }), file: join(root, 'x.yaml') },
  );
  t.same(
    s.slice(1).map((i) => i.what),
    Array(3).fill(`tree ${repo} refs`),
  );
});

t.test('a prebuilt kernel: the build directory’s bzImage and .config, the modules folder', async (t) => {
  const build = join(root, 'build');
  mkdirSync(build);
  t.same(
    watchedInputs({ kind: 'prebuilt', path: build, modules: join(root, 'mods') }).map((i) => i.path),
    [join(build, 'arch/x86/boot/bzImage'), join(build, '.config'), join(root, 'mods')],
  );
  t.same(
    watchedInputs({ kind: 'prebuilt', path: join(root, 'bz'), kconfig: join(root, 'cfg') }).map((i) => i.path),
    [join(root, 'bz'), join(root, 'cfg')],
  );
});

t.test('a change is seen: a file rewritten, a file added under a folder, a file gone', async (t) => {
  const d = join(root, 'states');
  mkdirSync(join(d, 'p'), { recursive: true });
  writeFileSync(join(d, 'p', '0001.patch'), 'a');
  writeFileSync(join(d, 'f'), 'x');
  const inputs = [
    { path: join(d, 'p'), what: 'patches' },
    { path: join(d, 'f'), what: 'series file' },
  ];
  const s0 = readStates(inputs);
  t.same(changedInputs(inputs, s0, readStates(inputs)), [], 'nothing changed: nothing seen');
  writeFileSync(join(d, 'p', '0001.patch'), 'b');
  utimesSync(join(d, 'p', '0001.patch'), new Date(), new Date(Date.now() + 5000));
  t.same(
    changedInputs(inputs, s0, readStates(inputs)).map((i) => i.what),
    ['patches'],
    'a patch rewritten',
  );
  const s1 = readStates(inputs);
  writeFileSync(join(d, 'p', '0002.patch'), 'c');
  t.same(
    changedInputs(inputs, s1, readStates(inputs)).map((i) => i.what),
    ['patches'],
    'a patch added',
  );
  const s2 = readStates(inputs);
  rmSync(join(d, 'f'));
  t.same(
    changedInputs(inputs, s2, readStates(inputs)).map((i) => i.what),
    ['series file'],
    'a file gone',
  );
  t.equal(inputState(join(d, 'nothing')), '.:absent');
});

const summary = (runId: string, tests: Array<Partial<TestRecord> & { path: string }>, outcome = 'ok'): RunSummary =>
  ({
    runId,
    suite: 's',
    status: 'PASS',
    outcome,
    startedAt: '',
    finishedAt: '',
    stages: [],
    tests: tests.map((x) => ({ name: x.path, status: 'PASS', ...x })),
    counts: {},
    console: { findings: [], log: '' },
  }) as unknown as RunSummary;

t.test('the loop: run, change, rerun with the diff; a run that cannot start is said; Ctrl-C ends it', async (t) => {
  const inputs = [{ path: '/series.yaml', what: 'series file' }];
  // The fake file, read before each run and at each poll: a burst of two writes after the first run (acted on once
  // it holds still), one write after the second run and one after the third.
  const states = ['a', 'a', 'b', 'c', 'c', 'c', 'd', 'd', 'd', 'e'];
  let reads = 0;
  const runs = [
    () => summary('r1', [{ path: 's.one', metrics: [{ name: 'rate', value: 100, unit: 'acc/s' }] }, { path: 's.two' }]),
    () =>
      summary('r2', [
        { path: 's.one', metrics: [{ name: 'rate', value: 80, unit: 'acc/s' }] },
        { path: 's.two', status: 'FAIL' },
      ]),
    () => {
      throw new InputFileError('/series.yaml', 3, 'patches.dir: no *.patch files');
    },
    () => {
      throw new InterruptedError('SIGINT');
    },
  ];
  let ran = 0;
  const log: string[] = [];
  const end = await watchRuns({
    run: async () => {
      const s = runs[ran++]!();
      return { summary: s, code: s.tests.some((x) => x.status === 'FAIL') ? 1 : 0 };
    },
    inputs: () => inputs,
    readStates: () => new Map([['/series.yaml', states[Math.min(reads++, states.length - 1)]!]]),
    compare: (a, b) =>
      formatComparison(compareRuns(a.tests, b.tests), a.runId, b.runId, metricMoves(pairMetrics(a.tests, b.tests))),
    log: (l) => log.push(l),
    pollMs: 1,
  });
  t.equal(ran, 4, 'four runs: the first, two after changes, the one Ctrl-C stopped');
  t.same(end, { runs: 4, code: 1 }, 'Ctrl-C: the last finished run’s code');
  const text = log.join('\n');
  t.match(text, /watching 1 input \(series file\); Ctrl-C ends/);
  t.match(text, /changed: \/series\.yaml \(series file\)/);
  t.match(text, /compare r1 → r2\nnew failures \(1\):\n {2}s\.two: PASS → FAIL/);
  t.match(text, /s\.one rate: 100 → 80 acc\/s \(×0\.8\)/, 'the metric that moved');
  t.match(text, /lab: \/series\.yaml:3: patches\.dir: no \*\.patch files/, 'a run that cannot start is said');
  t.equal(text.match(/^compare /gm)?.length, 1, 'no comparison with a run that did not happen');
});

t.test('several runs a side: a test failed on a side when it failed in any of its runs', async (t) => {
  const { worstOf } = await import('../../harness/compare/compare-runs.js');
  const rec = (path: string, status: TestRecord['status']) => ({ path, name: path, status, durationMs: 0 });
  t.same(
    worstOf([
      [rec('s.a', 'PASS'), rec('s.b', 'PASS')],
      [rec('s.a', 'FAIL'), rec('s.b', 'SKIP')],
      [rec('s.c', 'PASS')],
    ]).map((x) => [x.path, x.status]),
    [
      ['s.a', 'FAIL'],
      ['s.b', 'PASS'],
      ['s.c', 'PASS'],
    ],
  );
});
