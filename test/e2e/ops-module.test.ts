import t, { type Test } from 'tap';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';
import type { RunSummary } from '../../harness/run/run-summary.js';

const STEPS = [
  'module_loads',
  'ops_in_avail_operations',
  'kdamond_starts_on_ops',
  'regions_are_reported',
  'rmmod_refused_while_running',
  'kdamond_stops',
  'rmmod_succeeds_after_stop',
  'ops_gone_from_avail_operations',
];

function expectCycles(t: Test, summary: RunSummary, cycles: number): void {
  const status = new Map(summary.tests.map((x) => [x.path, x.status]));
  for (let c = 1; c <= cycles; c++)
    for (const step of STEPS) t.equal(status.get(`damon-ops-module.cycle_${c}.${step}`), 'PASS', `cycle ${c}: ${step}`);
  t.equal(status.get('damon-ops-module.all_cycles_pass'), 'PASS');
  t.equal(status.get('damon-ops-module.console_clean'), 'PASS', 'no KASAN report, lockdep splat or WARNING');
}

// damon_lab_ops (the fixture series' stand-in for damon_ibs.ko): load, paddr_lab in avail_operations, a
// kdamond on it, rmmod refused, stop, rmmod, gone; three times.
t.test('damon-ops-module on the fixture series: three load/run/unload cycles', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-ops-module', '--series', 'lab-fixture'], { reports });
  t.equal(r.exitCode, 0, r.all.slice(-5000));
  const { summary } = onlyReport(reports);
  expectCycles(t, summary, 3);
  const kasan = summary.tests.find((x) => x.path === 'damon-ops-module.kernel_has_kasan');
  t.equal(kasan?.status, 'SKIP');
  t.match(kasan?.reason, /CONFIG_KASAN is not set: a use-after-free of the unloaded module would go unseen/);
});

// The same on the debug kernel (KASAN, lockdep): a cold KASAN build takes about 13 minutes here, which
// the default CI run (kept under 45 minutes from nothing) cannot afford; LAB_TEST_KASAN=1 runs it.
t.test(
  'damon-ops-module on lab-fixture-debug (KASAN, lockdep): cycles clean under KASAN',
  {
    skip:
      process.env.LAB_TEST_KASAN === '1'
        ? false
        : 'set LAB_TEST_KASAN=1 to build the KASAN kernel (about 13 min cold) and run this',
  },
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-ops-module', '--series', 'lab-fixture-debug'], { reports });
    t.equal(r.exitCode, 0, r.all.slice(-5000));
    const { summary } = onlyReport(reports);
    expectCycles(t, summary, 3);
    t.equal(summary.tests.find((x) => x.path === 'damon-ops-module.kernel_has_kasan')?.status, 'PASS');
  },
);

t.test('damon-ops-module on a kernel without an ops module: SKIP with the reason', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-ops-module', '--quiet'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  const declared = summary.tests.find((x) => x.path === 'damon-ops-module.ops_module_declared');
  t.equal(declared?.status, 'SKIP');
  t.match(declared?.reason, /names no ops_module/);
  t.ok(summary.tests.filter((x) => x.path.includes('.cycle_')).every((x) => x.status === 'SKIP'));
});
