// lab ab without a kernel: the runs interleaved, failed runs listed and not counted, every metric's samples collected
// from the run summaries (the boot stage's seconds too), directions applied, a planted regression found, and the
// report and summary.json written with every sample and the command to reproduce.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSamples, compareSamples, interleave, regressions, splitRuns } from '../../harness/ab/ab-samples.js';
import { runAb } from '../../harness/ab/run-ab.js';
import { abSummaryText } from '../../harness/ab/ab-report.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import type { RunOptions } from '../../harness/run/run-suite.js';
import { seededRandom } from '../../harness/stats/ab-stats.js';

const reports = mkdtempSync(join(tmpdir(), 'ab-unit-'));
process.env.LAB_REPORTS = reports;
t.teardown(() => rmSync(reports, { recursive: true, force: true }));

let n = 0;
function run(opts: { cpu: number; rate: number; boot?: number; status?: string; outcome?: string }): RunSummary {
  return {
    runId: `run-${++n}`,
    suite: 'damon-accuracy',
    status: opts.status ?? 'PASS',
    outcome: opts.outcome ?? 'ok',
    startedAt: '',
    finishedAt: '',
    stages: [{ stage: 'boot', seconds: opts.boot ?? 4 }],
    tests: [
      {
        path: 'damon-accuracy.paddr',
        name: 'paddr',
        status: 'PASS',
        durationMs: 1,
        metrics: [
          { name: 'kdamond_cpu', value: opts.cpu, unit: '%' },
          { name: 'accesses_per_second', value: opts.rate, unit: 'acc/s' },
          { name: 'nr_regions', value: 10, unit: 'regions' },
        ],
      },
    ],
    counts: { PASS: 1, FAIL: opts.status === 'FAIL' ? 1 : 0, ERROR: 0, MISS: 0, DONE: 0, SKIP: 0 },
    console: { findings: [], log: 'console.log' },
  } as RunSummary;
}

t.test('interleaved A B A B, and runs that did not pass are listed, not counted', async (t) => {
  t.same(interleave(3), ['a', 'b', 'a', 'b', 'a', 'b']);
  const s = splitRuns([
    run({ cpu: 1, rate: 1 }),
    run({ cpu: 1, rate: 1, status: 'FAIL', outcome: 'test-failed' }),
    { ...run({ cpu: 1, rate: 1, status: 'ERROR', outcome: 'infrastructure' }), error: { message: 'QEMU died' } },
  ]);
  t.equal(s.counted.length, 1);
  t.same(
    s.failed.map((f) => [f.status, f.why]),
    [
      ['FAIL', '1 failed, 0 errors'],
      ['ERROR', 'QEMU died'],
    ],
  );
});

t.test('samples: every metric both sides have, the boot’s seconds, the directions the lab knows', async (t) => {
  const a = [run({ cpu: 2, rate: 100, boot: 4 }), run({ cpu: 2.1, rate: 101, boot: 4.2 })];
  const b = [run({ cpu: 3, rate: 90, boot: 4.1 }), run({ cpu: 3.1, rate: 91, boot: 4 })];
  const s = collectSamples(a, b);
  t.same(
    s.map((x) => [x.key, x.better, x.a, x.b]),
    [
      ['damon-accuracy.paddr kdamond_cpu', 'lower', [2, 2.1], [3, 3.1]],
      ['damon-accuracy.paddr accesses_per_second', 'higher', [100, 101], [90, 91]],
      ['damon-accuracy.paddr nr_regions', undefined, [10, 10], [10, 10]],
      ['lab boot_seconds', 'lower', [4, 4.2], [4.1, 4]],
    ],
  );
});

t.test('a planted regression: B doubles kdamond’s CPU and halves the rate; found with 5 runs a side', async (t) => {
  const r = seededRandom(9);
  const noisy = (x: number) => x * (1 + (r() - 0.5) * 0.1);
  const a = Array.from({ length: 5 }, () => run({ cpu: noisy(2), rate: noisy(100) }));
  const b = Array.from({ length: 5 }, () => run({ cpu: noisy(4), rate: noisy(50), boot: 4 }));
  const results = compareSamples(collectSamples(a, b), { threshold: 0.05, seed: 1 });
  const by = (name: string) => results.find((x) => x.name === name)!;
  t.equal(by('kdamond_cpu').reported, 'slower');
  t.equal(by('accesses_per_second').reported, 'slower', 'fewer accesses per second is worse');
  t.equal(by('nr_regions').reported, 'no detectable change');
  t.equal(by('boot_seconds').reported, 'no detectable change', 'the same boot on both sides');
  t.same(
    regressions(results).map((x) => x.name),
    ['kdamond_cpu', 'accesses_per_second'],
  );
  const faster = compareSamples(collectSamples(b, a), { threshold: 0.05, seed: 1 });
  t.same(
    faster.filter((x) => x.reported === 'faster').map((x) => x.name),
    ['kdamond_cpu', 'accesses_per_second'],
    'the other way round: better',
  );
});

t.test('runAb: the order, the report, summary.json with every sample; a Ctrl-C keeps what ran', async (t) => {
  const asked: Array<Partial<RunOptions>> = [];
  const fake = async (o: RunOptions) => {
    asked.push(o);
    const side = o.kernel?.kind === 'debian' && o.kernel.id === 'debian-6.12' ? 'a' : 'b';
    const i = asked.length;
    const s =
      i === 4
        ? run({ cpu: 9, rate: 9, status: 'ERROR', outcome: 'infrastructure' })
        : run({ cpu: side === 'a' ? 2 + i / 100 : 4 + i / 100, rate: 100 + i });
    return { summary: s, reportDir: join(reports, s.runId) };
  };
  const side = (id: string) => ({
    side: { label: id, kernel: id, guest: 'default', suite: 'damon-accuracy' },
    run: { suite: 'damon-accuracy', kernel: { kind: 'debian' as const, id } },
  });
  const { record, dir } = await runAb({
    a: side('debian-6.12'),
    b: side('debian-7.2'),
    runs: 5,
    threshold: 0.05,
    seed: 1,
    command: './lab ab --suite damon-accuracy --a debian-6.12 --b debian-7.2',
    runSuite: fake,
    log: () => {},
  });
  t.same(
    record.runs.map((r) => r.side),
    interleave(5),
  );
  t.ok(
    asked.every((o) => o.snapshots === 'off'),
    'every run boots',
  );
  t.same(
    record.failed.b.map((f) => f.status),
    ['ERROR'],
    'the broken run is listed',
  );
  t.equal(record.runs.filter((r) => r.counted).length, 9);
  const cpu = record.metrics.find((m) => m.name === 'kdamond_cpu')!;
  t.equal(cpu.a.length, 5);
  t.equal(cpu.b.length, 4, 'not counted: not sampled');
  t.equal(cpu.reported, 'slower');
  const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  t.same(json.metrics[0].a, cpu.a, 'summary.json has every sample');
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.match(html, /<svg[^>]*>[^]*damon-accuracy\.paddr kdamond_cpu/);
  t.match(html, /Reproduce: <code>\.\/lab ab --suite damon-accuracy --a debian-6\.12 --b debian-7\.2<\/code>/);
  t.equal((html.match(/<circle/g) ?? []).length, 4 * 9, 'each counted run a point in each of the four plots');
  t.match(abSummaryText(record), /4 metrics: 1 slower, 0 faster/);

  let calls = 0;
  const stopped = await runAb({
    a: side('debian-6.12'),
    b: side('debian-7.2'),
    runs: 5,
    threshold: 0.05,
    seed: 1,
    command: 'x',
    runSuite: async (o) => {
      calls++;
      const s =
        calls === 3 ? run({ cpu: 1, rate: 1, status: 'ERROR', outcome: 'interrupted' }) : run({ cpu: 2, rate: 100 });
      void o;
      return { summary: s, reportDir: '' };
    },
    log: () => {},
  });
  t.equal(calls, 3, 'no run after the interrupted one');
  t.match(stopped.record.stopped, /interrupted during run 3 of 10/);
});

t.test('the guest’s memory in use: MemTotal - MemAvailable, a sample of its own', async (t) => {
  const { meminfoUsedMiB } = await import('../../harness/run/run-suite.js');
  t.equal(
    meminfoUsedMiB('MemTotal:        1004112 kB\nMemFree:          900000 kB\nMemAvailable:     901712 kB\n'),
    100,
  );
  t.equal(meminfoUsedMiB('MemTotal: 1 kB\n'), undefined, 'no MemAvailable: nothing');
  const a = [{ ...run({ cpu: 1, rate: 1 }), guestMemUsedMiB: 100 }];
  const b = [{ ...run({ cpu: 1, rate: 1 }), guestMemUsedMiB: 120 }];
  t.same(
    collectSamples(a, b).find((s) => s.name === 'guest_mem_used'),
    {
      key: 'lab guest_mem_used',
      test: 'lab',
      name: 'guest_mem_used',
      unit: 'MiB',
      better: 'lower',
      a: [100],
      b: [120],
    },
  );
});

t.test(
  'two suite files measuring under tests of their own: metrics paired by name when each side has one',
  async (t) => {
    const one = (path: string, cpu: number) =>
      ({
        ...run({ cpu, rate: 1 }),
        tests: [
          {
            path,
            name: path,
            status: 'PASS',
            durationMs: 1,
            metrics: [{ name: 'kdamond_cpu', value: cpu, unit: '%' }],
          },
        ],
      }) as RunSummary;
    const a = [one('acc-vaddr.vaddr_detects_hot_set', 8), one('acc-vaddr.vaddr_detects_hot_set', 9)];
    const b = [one('acc-paddr.paddr_detects_hot_set', 5), one('acc-paddr.paddr_detects_hot_set', 6)];
    t.same(
      collectSamples(a, b).map((s) => s.name),
      ['boot_seconds'],
      'the same suite: only what both record',
    );
    const paired = collectSamples(a, b, { pairByName: true }).find((s) => s.name === 'kdamond_cpu')!;
    t.equal(paired.test, 'acc-vaddr.vaddr_detects_hot_set | acc-paddr.paddr_detects_hot_set');
    t.same(
      [paired.a, paired.b],
      [
        [8, 9],
        [5, 6],
      ],
    );
  },
);
