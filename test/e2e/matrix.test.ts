import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { alive, lab, labBin, liveQemus, newQemusLeft, newReportsDir, repo } from './lab-cli.js';
import type { MatrixSummary } from '../../harness/matrix/run-matrix.js';
import type { RunSummary } from '../../harness/run/run-summary.js';

const MATRIX = 'test/fixtures/matrices/two-by-two.yaml';

function matrixDir(reports: string): string {
  return join(reports, readdirSync(reports).find((d) => d.includes('-matrix-'))!);
}

/** QEMU processes descended from pid (the matrix runs them two levels down, under its `lab run` children). */
function qemuDescendants(pid: number): number[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      comm.set(Number(e), /\((.*)\)/.exec(stat)?.[1] ?? '');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const isBelow = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  return [...comm].filter(([p, c]) => c.startsWith('qemu-system') && isBelow(p)).map(([p]) => p);
}

t.test(
  'lab matrix run: 2 kernels × 2 guests × 1 suite on the local pool, then against itself as baseline',
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['matrix', 'run', MATRIX], { reports });
    t.equal(r.exitCode, 0, r.all.slice(-4000));
    const dir = matrixDir(reports);
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as MatrixSummary;
    t.same(
      s.cells.map((c) => [c.id, c.status]),
      [
        ['debian/default/damon-smoke', 'PASS'],
        ['debian/small/damon-smoke', 'PASS'],
        ['lab-fixture/default/damon-smoke', 'PASS'],
        ['lab-fixture/small/damon-smoke', 'PASS'],
      ],
    );
    t.same(
      s.kernels.map((k) => [k.id, k.ok]),
      [
        ['debian', true],
        ['lab-fixture', true],
      ],
      'each kernel once',
    );
    t.ok(s.pool.limit >= 1);
    // Cells really ran side by side when the pool allows two: some pair of runs overlaps in time.
    const spans = s.cells
      .map((c) => JSON.parse(readFileSync(join(dir, c.report!, 'summary.json'), 'utf8')) as RunSummary)
      .map((x) => [Date.parse(x.startedAt), Date.parse(x.finishedAt)] as const);
    const overlap = spans.some(([a0, a1], i) => spans.some(([b0, b1], j) => i !== j && a0 < b1 && b0 < a1));
    if (s.pool.limit >= 2) t.ok(overlap, 'two cells overlapped in time');
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    t.equal((html.match(/<td class="c"/g) ?? []).length, 4, 'a table cell per matrix cell');
    t.match(html, /<a href="cells\/[^"]+\/report\.html">PASS<\/a>/);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    t.equal((junit.match(/<testsuite /g) ?? []).length, 4, 'one testsuite per cell');
    t.match(junit, /<testsuite name="lab-fixture\/small\/damon-smoke"/);

    const again = await lab(['matrix', 'run', MATRIX, '--baseline', dir, '--quiet'], { reports });
    t.equal(again.exitCode, 0, again.all.slice(-3000));
    const dir2 = join(
      reports,
      readdirSync(reports)
        .filter((d) => d.includes('-matrix-'))
        .sort()
        .pop()!,
    );
    const s2 = JSON.parse(readFileSync(join(dir2, 'summary.json'), 'utf8')) as MatrixSummary;
    t.equal(s2.baseline, dir);
    t.ok(
      s2.cells.every((c) => Array.isArray(c.newFailures) && c.newFailures.length === 0),
      'compared cell by cell: no new failures',
    );
  },
);

t.test('lab matrix run: Ctrl-C stops every cell and leaves no QEMU behind', async (t) => {
  const before = liveQemus();
  const reports = newReportsDir();
  const child = execa('node', [labBin, 'matrix', 'run', MATRIX, '--jobs', '2'], {
    reject: false,
    all: true,
    env: { LAB_REPORTS: reports },
    cwd: repo,
  });
  let seen: number[] = [];
  const end = Date.now() + 60000;
  while (Date.now() < end && seen.length < 2) {
    seen = [...new Set([...seen, ...qemuDescendants(child.pid!)])];
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(seen.length >= 1, `QEMU running under the matrix (${seen.join(',')})`);
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, r.all.slice(-3000));
  await new Promise((res) => setTimeout(res, 500));
  t.ok(
    seen.every((p) => !alive(p)),
    'every QEMU is gone',
  );
  t.same(qemuDescendants(child.pid!), []);
  // Not only those it saw: a cell interrupted just as its QEMU started once left that one behind, orphaned.
  t.same(await newQemusLeft(before), [], 'no QEMU left anywhere');
  const s = JSON.parse(readFileSync(join(matrixDir(reports), 'summary.json'), 'utf8')) as MatrixSummary;
  t.equal(s.interrupted, true, 'the partial aggregate report says so');
});

t.test('lab matrix: bad input', async (t) => {
  const r = await lab(['matrix', 'plan', 'test/fixtures/matrices/nope.yaml']);
  t.equal(r.exitCode, 2);
  const typo = await lab(['matrix', 'run', MATRIX, '--kernel', 'nope']);
  t.equal(typo.exitCode, 2);
  t.match(typo.stderr, /--kernel nope: not a kernel of matrix two-by-two \(debian, lab-fixture\)/);
  const plan = await lab(['matrix', 'plan', MATRIX]);
  t.equal(plan.exitCode, 0);
  t.match(plan.stdout, /2 kernel\(s\) to build, 4 cell\(s\)/);
});

t.test('lab matrix run --runs 2 against a baseline kernel: every run kept, every metric tested', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['matrix', 'run', 'test/fixtures/matrices/runs-ab.yaml', '--runs', '2', '--quiet'], { reports });
  // Two runs a side can never reach p < 0.05 (the exact rank test's smallest p is 1/3): no metric can regress.
  t.equal(r.exitCode, 0, r.all.slice(-4000));
  const dir = matrixDir(reports);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as MatrixSummary;
  t.same(
    s.cells.map((c) => [c.id, c.status, c.runs?.map((x) => x.status)]),
    [
      ['debian/default/damon-smoke', 'PASS', ['PASS', 'PASS']],
      ['debian-7.2/default/damon-smoke', 'PASS', ['PASS', 'PASS']],
    ],
  );
  const reportsOf = s.cells.flatMap((c) => c.runs!.map((x) => x.report));
  t.equal(new Set(reportsOf).size, 4, 'a report per run');
  for (const rep of reportsOf) {
    const run = JSON.parse(readFileSync(join(dir, rep!, 'summary.json'), 'utf8')) as RunSummary;
    t.equal(run.status, 'PASS');
  }
  const c = s.againstBaseline?.[0];
  t.same(c?.counted, { baseline: 2, now: 2 });
  const regions = c?.stats?.find((m) => m.key === 'damon-smoke.regions_are_read nr_regions');
  t.ok(regions, "the suite's own metrics are tested");
  t.same([regions?.a.length, regions?.b.length], [2, 2]);
  t.equal(regions?.reported, 'no detectable change');
  t.ok(regions!.rankTest.p >= 1 / 3);
  // The lab's own: the boot, or the restore of a snapshot (the matrix's cells restore once one was saved).
  t.ok(
    c?.stats?.some((m) => m.name === 'boot_seconds' || m.name === 'restore_seconds'),
    'how long the guest took to be ready is tested too',
  );
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  t.match(html, /Against the baseline kernel debian/);
  t.match(html, /<td>damon-smoke\.regions_are_read<\/td><td>nr_regions<\/td>/);
  t.match(html, /2 runs: 2 PASS/);
});
