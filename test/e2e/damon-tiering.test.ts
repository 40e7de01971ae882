import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test('damon-tiering with user_input goals on the stock 6.12 kernel in a two-node guest', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-tiering'], { reports });
  const { dir, summary } = onlyReport(reports);
  // The thresholds decide PASS or FAIL; either way the measurement must be complete and consistent.
  t.equal(r.exitCode, summary.status === 'PASS' ? 0 : 1, r.all);
  t.match(summary.guest?.argv?.join(' '), /-numa node,nodeid=1,memdev=mem1(?!,cpus)/, 'node 1 is CPU-less');
  const by = new Map(summary.tests.map((x) => [x.name, x]));
  for (const name of ['guest_has_cpuless_node', 'workload_starts', 'schemes_start']) t.equal(by.get(name)?.status, 'PASS', name);
  const samples = JSON.parse(readFileSync(join(dir, 'tiering-samples.json'), 'utf8')) as Array<[number, number]>;
  t.ok(samples.length >= 60, `${samples.length} samples of the DRAM share`);
  t.ok(samples.every(([s, v]) => s > 0 && v >= 0 && v <= 100));
  t.ok(samples[0]![1] > samples.at(-1)![1], 'demotion to the CPU-less node happened');
  const converge = by.get('dram_share_converges')!;
  if (converge.status === 'PASS') {
    t.same(converge.metrics?.map((m) => m.name), ['time_to_converge', 'steady_mean_error', 'steady_stddev']);
  } else {
    t.match(converge.reason, /DRAM share did not converge to 60% ± 2 within \d+ s \(last [\d.]+%\)/);
  }
  t.ok(existsSync(join(dir, 'report.html')));
  t.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<svg[^>]*>[\s\S]*target band/, 'convergence plot with the target band');
});
