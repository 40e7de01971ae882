import t from 'tap';
import { judgeStep, parseBisectOutput, readRun, stepBound, type RunReading } from '../../harness/bisect/verdict.js';
import { compiledSources, newWarnings, parseWarnings, touchedFiles } from '../../harness/bisect/build-warnings.js';
import { stepSeries } from '../../harness/bisect/step-series.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import type { TestRecord } from '../../harness/results/model.js';

const rec = (path: string, status: TestRecord['status'], reason?: string): TestRecord => ({
  path,
  name: path.split('.').pop()!,
  status,
  durationMs: 1,
  ...(reason ? { reason } : {}),
});
const kunit = [
  rec('damon-kunit.damon.damon_test_regions', 'PASS'),
  rec('damon-kunit.damon_lab_fixture.damon_lab_fixture_test_half', 'PASS'),
  rec(
    'damon-kunit.damon_lab_fixture.damon_lab_fixture_test_clamped',
    'FAIL',
    'Expected damon_lab_fixture_bp(3000, 1000) == 10000UL, but 9999',
  ),
  rec('damon-kunit.console_clean', 'PASS'),
];

t.test('readRun: by test path, by group prefix, by the whole suite', async (t) => {
  t.equal(
    readRun({ outcome: 'test-failed', tests: kunit }, 'damon-kunit.damon_lab_fixture.damon_lab_fixture_test_half')
      .verdict,
    'good',
  );
  const bad = readRun({ outcome: 'test-failed', tests: kunit }, 'damon-kunit.damon_lab_fixture');
  t.equal(bad.verdict, 'bad', 'a group is bad when one of its tests fails');
  t.match(bad.reason, /test_clamped FAIL \(Expected .*9999\)/, 'the evidence names the test and why');
  t.equal(readRun({ outcome: 'test-failed', tests: kunit }).verdict, 'bad', 'whole suite');
  t.equal(readRun({ outcome: 'ok', tests: kunit.filter((x) => x.status === 'PASS') }).verdict, 'good');
  // Not a prefix match on a partial name: damon-kunit.damon must not take damon-kunit.damon_lab_fixture.*
  t.equal(readRun({ outcome: 'test-failed', tests: kunit }, 'damon-kunit.damon').verdict, 'good');
  const missing = readRun({ outcome: 'ok', tests: kunit }, 'damon-kunit.nope');
  t.same([missing.verdict, missing.reason], ['skip', 'damon-kunit.nope was not reported']);
  t.equal(readRun({ outcome: 'ok', tests: [rec('s.a', 'SKIP')] }).verdict, 'skip', 'all SKIP cannot be judged');
  t.equal(
    readRun({ outcome: 'test-failed', tests: [rec('s.a', 'MISS')] }).verdict,
    'bad',
    'a test that never reported (crash) is bad',
  );
});

t.test('readRun: build failures skip, infrastructure failures are infra', async (t) => {
  const build = readRun({
    outcome: 'build-failed',
    error: { message: 'build failed: bzImage and modules\n  full log: /x' },
    tests: [],
  });
  t.same([build.verdict, build.buildFailed], ['skip', true]);
  t.match(build.reason, /^build failed: build failed: bzImage/);
  t.equal(
    readRun({
      outcome: 'boot-failed',
      error: { message: 'guest did not come up within 60 s' },
      tests: [rec('s.a', 'ERROR')],
    }).verdict,
    'infra',
  );
  t.equal(
    readRun({
      outcome: 'cannot-configure',
      error: { message: '1 requested config symbol(s) did not survive' },
      tests: [],
    }).verdict,
    'skip',
  );
});

t.test('judgeStep: rules for several runs', async (t) => {
  const r = (verdict: RunReading['verdict']): RunReading => ({ verdict, reason: verdict });
  t.equal(judgeStep([r('good'), r('bad'), r('good')], 'any-bad').verdict, 'bad');
  t.equal(judgeStep([r('good'), r('bad'), r('good')], 'majority').verdict, 'good');
  t.equal(judgeStep([r('bad'), r('good')], 'majority').verdict, 'skip', 'a tie cannot be judged');
  t.equal(judgeStep([r('good'), r('infra')], 'any-bad').verdict, 'good', 'infra runs count as nothing');
  const allInfra = judgeStep([r('infra'), r('infra')], 'any-bad');
  t.equal(allInfra.verdict, 'skip');
  t.match(allInfra.reason, /infrastructure failed every time/);
  t.equal(judgeStep([{ verdict: 'skip', reason: 'build failed: x', buildFailed: true }], 'any-bad').verdict, 'skip');
  t.match(judgeStep([r('bad'), r('bad'), r('good')], 'any-bad').reason, '2 bad, 1 good of 3 run(s)');
});

t.test('parseBisectOutput: next, found, ambiguous', async (t) => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  t.same(
    parseBisectOutput(
      `Bisecting: 2 revisions left to test after this (roughly 2 steps)\n[${a}] mm/damon/lab_fixture: finish renaming\n`,
    ),
    { kind: 'next', commit: a, revisionsLeft: 2, stepsLeft: 2 },
  );
  t.same(parseBisectOutput(`Bisecting: 0 revisions left to test after this (roughly 0 steps)\n[${a}] x\n`), {
    kind: 'next',
    commit: a,
    revisionsLeft: 0,
    stepsLeft: 0,
  });
  t.same(parseBisectOutput(`${b} is the first bad commit\ncommit ${b}\nAuthor: x\n`), { kind: 'found', commit: b });
  t.same(
    parseBisectOutput(
      `There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n${a}\n${b}\nWe cannot bisect more!\n`,
    ),
    { kind: 'ambiguous', candidates: [a, b] },
  );
  t.same(parseBisectOutput('status: waiting for both good and bad commits\n'), { kind: 'next' });
});

t.test('stepBound: ⌈log2 N⌉ + 1', async (t) => {
  t.same([1, 2, 6, 8, 9, 1000].map(stepBound), [1, 2, 4, 4, 5, 11]);
});

// Recorded from a real kbuild log (O= a child of the tree, so sources are named ../mm/...).
const LOG1 = `  CC [M]  mm/damon/damon_lab_fixture.o
../mm/damon/damon_lab_fixture.c:20:22: warning: 'loads' defined but not used [-Wunused-variable]
   20 | static unsigned long loads;
      |                      ^~~~~
  CC      mm/damon/core.o
  MODPOST Module.symvers
`;

t.test('build warnings: parsed per file, new ones only in the files a patch touches', async (t) => {
  t.same(parseWarnings(LOG1), [
    {
      file: 'mm/damon/damon_lab_fixture.c',
      message: "'loads' defined but not used [-Wunused-variable]",
      text: "../mm/damon/damon_lab_fixture.c:20:22: warning: 'loads' defined but not used [-Wunused-variable]",
    },
  ]);
  t.same(compiledSources(LOG1), ['mm/damon/damon_lab_fixture.c', 'mm/damon/core.c']);
  const first = newWarnings(new Map(), LOG1, ['mm/damon/damon_lab_fixture.c']);
  t.equal(first.added.length, 1, 'new in a touched file');
  t.equal(
    newWarnings(new Map(), LOG1, ['mm/damon/core.c']).added.length,
    0,
    'not counted against a patch that did not touch the file',
  );
  // The same warning on another line after a later patch moved it: not new.
  const moved = newWarnings(first.state, LOG1.replace(':20:22:', ':24:22:'), ['mm/damon/damon_lab_fixture.c']);
  t.equal(moved.added.length, 0, 'a warning that only moved is not new');
  // The file compiles again without the warning: the state forgets it, so it is new if it comes back.
  const clean = newWarnings(first.state, '  CC [M]  mm/damon/damon_lab_fixture.o\n', ['mm/damon/damon_lab_fixture.c']);
  t.same([...clean.state.get('mm/damon/damon_lab_fixture.c')!], []);
  t.equal(newWarnings(clean.state, LOG1, ['mm/damon/damon_lab_fixture.c']).added.length, 1);
  t.same(
    parseWarnings('\x1b[01m\x1b[K../mm/x.c:1:2: warning: y\x1b[m'),
    [{ file: 'mm/x.c', message: 'y', text: '../mm/x.c:1:2: warning: y' }],
    'colour codes stripped',
  );
});

t.test('touchedFiles: from the diff headers', async (t) => {
  t.same(
    touchedFiles(
      'Subject: x\n---\ndiff --git a/mm/damon/Kconfig b/mm/damon/Kconfig\n--- a/mm/damon/Kconfig\ndiff --git a/mm/damon/x.c b/mm/damon/x.c\n',
    ),
    ['mm/damon/Kconfig', 'mm/damon/x.c'],
  );
});

t.test(
  'stepSeries: a fixed base, absolute fragment paths, undefined symbols ignored, modules only when asked',
  async (t) => {
    const spec = SeriesSpecSchema.parse({
      name: 'x',
      configs: ['damon', 'frag/extra.config'],
      config: { CONFIG_DAMON_LAB_FIXTURE: 'm' },
      artifacts: { modules: ['mm/damon/a.ko'], selftests: [] },
    });
    const s = stepSeries(spec, '/work/series/x.yaml', {
      name: 'bisect-1',
      base: 'c'.repeat(40),
      description: 'd',
      modules: false,
      patchesDir: '/r/p',
    });
    t.same(s, {
      name: 'bisect-1',
      description: 'd',
      base: 'c'.repeat(40),
      source: 'debian-7.2',
      patches: { dir: '/r/p' },
      base_config: 'lab',
      configs: ['damon', '/work/series/frag/extra.config'],
      config: { CONFIG_DAMON_LAB_FIXTURE: 'm' },
      undefined_symbols: 'ignore',
      artifacts: { modules: [], selftests: [] },
    });
    t.ok(SeriesSpecSchema.safeParse(s).success, 'what it writes is a valid series');
    // The step's base commit lives in the Debian source the template was based on: the step series says which.
    const on612 = stepSeries(SeriesSpecSchema.parse({ name: 'x', base: 'debian-6.12' }), undefined, {
      name: 'p',
      base: 'c'.repeat(40),
      description: 'd',
      modules: false,
    });
    t.equal(on612.source, 'debian-6.12');
  },
);

t.test(
  'patchcheck summary: with --from, the base line names the patches it carries; every line has its times',
  async (t) => {
    const { patchcheckSummaryText } = await import('../../harness/bisect/patchcheck-report.js');
    const step = (seconds: number, cached = false) => ({
      label: '',
      subject: '',
      seriesFile: '',
      build: { ok: true, seconds, cached },
      runs: [],
      verdict: 'good' as const,
      reason: '',
      seconds: seconds + 20,
    });
    const text = patchcheckSummaryText({
      id: 'patchcheck-x',
      series: 's',
      seriesFile: 's.yaml',
      rule: 'any',
      base: 'a'.repeat(40),
      from: 3,
      startedAt: '',
      finishedAt: '',
      prefixes: [
        { index: 2, step: step(400), newWarnings: [], problems: [] },
        {
          index: 3,
          patch: { origin: 'p3', subject: '[PATCH 03/10] three', touched: [] },
          step: step(35),
          newWarnings: [],
          problems: [],
        },
        {
          index: 4,
          patch: { origin: 'p4', subject: '[PATCH 04/10] four', touched: [] },
          step: step(0, true),
          newWarnings: [],
          problems: ['breaks the build: x'],
        },
      ],
    });
    t.match(text, /2 prefix\(es\) checked \(build and warnings only\); patches 1-2 with the base/);
    t.match(text, /^ {2}base {4}ok {3}\(with patches 1-2\) \[build 400 s, all 420 s\]$/m);
    t.match(text, /^ {2}patch 3 ok {3}\[PATCH 03\/10\] three \[build 35 s, all 55 s\]$/m);
    t.match(text, /^ {2}patch 4 BAD {2}\[PATCH 04\/10\] four \[build cached, all 20 s\] — breaks the build: x$/m);
  },
);
