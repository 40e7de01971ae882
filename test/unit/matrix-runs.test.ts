// Matrix cells that run several times (runs:): the runs go round-robin over the cells, a cell is its worst run,
// and against a baseline (a kernel of the matrix or an earlier matrix run) every metric is tested as lab ab tests
// it: a metric worse past the threshold fails its cell, one run a side never does. No builds, no QEMU.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPlan, planMatrix } from '../../harness/matrix/plan.js';
import { cellRuns, runMatrix, worstRun, type MatrixOps } from '../../harness/matrix/run-matrix.js';
import { compareRunSets, metricRegressionLines } from '../../harness/compare/compare-kernels.js';
import { renderMatrixHtml } from '../../harness/matrix/matrix-report.js';
import { MatrixSpecSchema } from '../../harness/schema/matrix.js';
import { seededRandom } from '../../harness/stats/ab-stats.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import type { MatrixSummary } from '../../harness/matrix/matrix-record.js';
import { fakeSummary } from '../helpers/fake-summary.js';

/** A passing (or failing) damon-accuracy run with one kdamond_cpu metric. */
function run(cpu: number, status: 'PASS' | 'FAIL' = 'PASS'): RunSummary {
  const s = fakeSummary({
    suite: 'damon-accuracy',
    name: 'vaddr',
    status,
    outcome: status === 'PASS' ? 'ok' : 'test-failed',
  });
  s.tests[0]!.metrics = [{ name: 'kdamond_cpu', value: cpu, unit: 'ms/s' }];
  return s;
}

t.test('runs: from the file, an override, or --runs; the plan says how many', async (t) => {
  const spec = MatrixSpecSchema.parse({
    name: 'm',
    kernels: ['debian-6.12', 'debian-7.2'],
    guests: ['default'],
    suites: ['damon-smoke', 'damon-accuracy'],
    runs: 3,
    overrides: [{ suite: 'damon-smoke', runs: 1 }],
  });
  const plan = planMatrix(spec);
  t.same(
    plan.cells.map((c) => [c.id, c.runs]),
    [
      ['debian-6.12/default/damon-smoke', 1],
      ['debian-6.12/default/damon-accuracy', 3],
      ['debian-7.2/default/damon-smoke', 1],
      ['debian-7.2/default/damon-accuracy', 3],
    ],
  );
  t.match(formatPlan('m', plan), /debian-7\.2\/default\/damon-accuracy\s+3 runs, timeout 900 s/);
  t.notMatch(formatPlan('m', plan), /1 runs/);
  t.match(formatPlan('m', plan), /^matrix m: 2 kernel\(s\) to build, 4 cell\(s\) to boot and run \(8 runs\)$/m);
  t.equal(MatrixSpecSchema.parse({ name: 'm', kernels: ['debian'], guests: ['g'], suites: ['s'] }).runs, 1);
  t.throws(() => MatrixSpecSchema.parse({ name: 'm', kernels: ['debian'], guests: ['g'], suites: ['s'], runs: 0 }));
});

t.test('cellRuns: round-robin, every first run before any second one', async (t) => {
  const plan = planMatrix(
    MatrixSpecSchema.parse({
      name: 'm',
      kernels: ['debian-6.12', 'debian-7.2'],
      guests: ['default'],
      suites: ['damon-accuracy'],
      runs: 2,
      overrides: [{ kernel: 'debian-7.2', runs: 3 }],
    }),
  );
  t.same(
    cellRuns(plan.cells).map((x) => `${x.cell.kernel}#${x.run}`),
    ['debian-6.12#1', 'debian-7.2#1', 'debian-6.12#2', 'debian-7.2#2', 'debian-7.2#3'],
  );
});

t.test('worstRun: the worst run speaks for the cell; attempts and seconds add up', async (t) => {
  t.same(
    worstRun([
      { status: 'PASS', outcome: 'ok', attempts: 1, seconds: 10, report: 'cells/a' },
      { status: 'FAIL', outcome: 'test-failed', attempts: 1, seconds: 12, report: 'cells/b', reason: 'x' },
      { status: 'ERROR', outcome: 'guest-lost', attempts: 2, seconds: 30, report: 'cells/c' },
    ]),
    { status: 'FAIL', outcome: 'test-failed', attempts: 4, seconds: 52, report: 'cells/b', reason: 'x' },
  );
  t.equal(
    worstRun([
      { status: 'PASS', attempts: 1, seconds: 1 },
      { status: 'TIMEOUT', attempts: 1, seconds: 1 },
    ]).status,
    'TIMEOUT',
  );
});

t.test(
  'compareRunSets: one run a side is an observation; several are tested; failed runs are not samples',
  async (t) => {
    const ids = { id: 'b/default/damon-accuracy', baselineId: 'a/default/damon-accuracy' };
    const one = compareRunSets(ids, [run(10)], [run(20)], { threshold: 0.05 });
    t.notOk(one.stats, 'no test on one run a side');
    t.same(
      one.metrics.map((m) => [m.name, m.baseline, m.value]),
      [['kdamond_cpu', 10, 20]],
    );
    t.same(metricRegressionLines(one), []);

    const rnd = seededRandom(7);
    const noisy = (x: number) => x * (1 + (rnd() - 0.5) * 0.04);
    const a = Array.from({ length: 6 }, () => run(noisy(10)));
    const b = Array.from({ length: 6 }, () => run(noisy(13)));
    const slower = compareRunSets(ids, a, [...b, run(1, 'FAIL')], { threshold: 0.05 });
    t.same(slower.counted, { baseline: 6, now: 6 }, 'the failed run is not counted');
    t.equal(slower.stats?.[0]?.reported, 'slower');
    t.match(
      metricRegressionLines(slower)[0],
      /^damon-accuracy\.vaddr kdamond_cpu: [\d.]+ → [\d.]+ ms\/s, ×1\.[23]\d+ \[/,
    );
    t.same(
      slower.newFailures.map((x) => [x.path, x.before, x.after]),
      [['damon-accuracy.vaddr', 'PASS', 'FAIL']],
      'a test that failed in one run failed on that side',
    );

    const same = compareRunSets(
      ids,
      a,
      a.map((r) => run(r.tests[0]!.metrics![0]!.value)),
      { threshold: 0.05 },
    );
    t.equal(same.stats?.[0]?.reported, 'no detectable change');
    t.same(metricRegressionLines(same), []);

    const fewPassing = compareRunSets(ids, [run(10), run(10, 'FAIL')], [run(20), run(20)], { threshold: 0.05 });
    t.same(fewPassing.counted, { baseline: 1, now: 2 });
    t.notOk(fewPassing.stats, 'one passing run on a side: not tested');
  },
);

t.test(
  'runMatrix with runs: 5 and a baseline kernel: interleaved runs, each kept; a slower kernel fails its cell',
  async (t) => {
    process.env.LAB_REPORTS = mkdtempSync(join(tmpdir(), 'lab-matrix-runs-'));
    const spec = MatrixSpecSchema.parse({
      name: 'runs',
      kernels: ['debian-6.12', 'debian-7.2', 'debian-7.3'],
      guests: ['default'],
      suites: ['damon-accuracy'],
      runs: 5,
      baseline: 'debian-6.12',
    });
    // 7.2 costs 40% more kdamond CPU, 7.3 the same as 6.12; 2% noise, seeded.
    const cost: Record<string, number> = { 'debian-6.12': 10, 'debian-7.2': 14, 'debian-7.3': 10 };
    const rnd = seededRandom(3);
    const order: string[] = [];
    const files = new Set<string>();
    const ops: MatrixOps = {
      async prepareKernel(k) {
        return { id: k.id, ok: true, seconds: 0, release: k.id };
      },
      async runCell(cell, _k, attempt, { run: n, cellsDir }) {
        order.push(`${cell.kernel}#${n}`);
        const dir = join(cellsDir, `run-${cell.kernel}-${n}`);
        files.add(dir);
        const s = run(cost[cell.kernel]! * (1 + (rnd() - 0.5) * 0.04));
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
        return { result: { outcome: 'ok', reportDir: dir, summary: s }, timedOut: false, output: String(attempt) };
      },
    };
    const r = await runMatrix({ spec, file: 'runs.yaml', jobs: 1, cache: '/nonexistent', log: () => {}, ops });
    t.same(order.slice(0, 6), [
      'debian-6.12#1',
      'debian-7.2#1',
      'debian-7.3#1',
      'debian-6.12#2',
      'debian-7.2#2',
      'debian-7.3#2',
    ]);
    t.equal(files.size, 15, 'each run its own report');
    const cell = (k: string) => r.summary.cells.find((c) => c.kernel === k)!;
    t.same(
      cell('debian-7.2').runs?.map((x) => x.run),
      [1, 2, 3, 4, 5],
      'in run order',
    );
    t.equal(cell('debian-7.2').run, undefined, 'the cell is no run of its own');
    t.equal(cell('debian-7.2').status, 'PASS', 'every run passed');
    t.equal(cell('debian-7.2').metricRegressions?.length, 1, 'but kdamond CPU regressed');
    t.match(cell('debian-7.2').metricRegressions![0], /kdamond_cpu: .* ×1\.[34]/);
    t.notOk(cell('debian-7.3').metricRegressions, 'the same cost: no regression');
    t.equal(r.outcome, 'test-failed');
    const on = JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8')) as MatrixSummary;
    t.same(
      on.againstBaseline?.map((c) => [c.id, c.counted, c.stats?.[0]?.reported]),
      [
        ['debian-7.2/default/damon-accuracy', { baseline: 5, now: 5 }, 'slower'],
        ['debian-7.3/default/damon-accuracy', { baseline: 5, now: 5 }, 'no detectable change'],
      ],
    );
    const html = readFileSync(join(r.dir, 'index.html'), 'utf8');
    t.match(html, /Against the baseline kernel debian-6\.12/);
    t.match(html, /<tr class="slower"><td>damon-accuracy\.vaddr<\/td><td>kdamond_cpu<\/td>/);
    t.match(html, /5 runs: 5 PASS/);
    t.match(html, /slower: damon-accuracy\.vaddr kdamond_cpu/);

    // Against that run as a baseline matrix run, a second one with 7.2 as cheap as 6.12 is "faster" there.
    cost['debian-7.2'] = 10;
    const again = await runMatrix({
      spec: { ...spec, baseline: undefined },
      file: 'runs.yaml',
      baseline: r.dir,
      jobs: 1,
      cache: '/nonexistent',
      log: () => {},
      ops,
    });
    t.equal(again.outcome, 'ok', 'nothing slower than the baseline run');
    const c72 = again.summary.againstRun?.find((c) => c.id === 'debian-7.2/default/damon-accuracy');
    t.equal(c72?.stats?.[0]?.reported, 'faster');
    t.match(renderMatrixHtml(again.summary, planMatrix(spec)), /Against matrix run /);
  },
);

t.test('runs of one cell that overlap and end out of order are kept in run order', async (t) => {
  process.env.LAB_REPORTS = mkdtempSync(join(tmpdir(), 'lab-matrix-order-'));
  const spec = MatrixSpecSchema.parse({
    name: 'order',
    kernels: ['debian-7.2'],
    guests: ['default'],
    suites: ['damon-accuracy'],
    runs: 3,
  });
  const ended: number[] = [];
  const ops: MatrixOps = {
    async prepareKernel(k) {
      return { id: k.id, ok: true, seconds: 0 };
    },
    async runCell(_cell, _k, _attempt, { run: n, cellsDir }) {
      await new Promise((r) => setTimeout(r, (4 - n) * 40));
      ended.push(n);
      const s = run(10);
      return { result: { outcome: 'ok', reportDir: join(cellsDir, `r${n}`), summary: s }, timedOut: false, output: '' };
    },
  };
  const r = await runMatrix({ spec, file: 'o.yaml', jobs: 3, cache: '/nonexistent', log: () => {}, ops });
  t.same(ended, [3, 2, 1], 'the last run ended first');
  t.same(
    r.summary.cells[0]!.runs?.map((x) => [x.run, x.report]),
    [
      [1, 'cells/r1'],
      [2, 'cells/r2'],
      [3, 'cells/r3'],
    ],
  );
});
