import t from 'tap';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

// damon_lab_ops (the fixture series' stand-in for damon_ibs.ko) on a KASAN + lockdep kernel built from
// source: load, paddr_lab in avail_operations, a kdamond on it, rmmod refused, stop, rmmod, gone; 3 times.
t.test('damon-ops-module on lab-fixture-debug (KASAN): three load/run/unload cycles, console clean', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-ops-module', '--series', 'lab-fixture-debug'], { reports });
  t.equal(r.exitCode, 0, r.all.slice(-5000));
  const { summary } = onlyReport(reports);
  const status = new Map(summary.tests.map((x) => [x.path, x.status]));
  for (let c = 1; c <= 3; c++) {
    for (const step of ['module_loads', 'ops_in_avail_operations', 'kdamond_starts_on_ops', 'regions_are_reported', 'rmmod_refused_while_running', 'kdamond_stops', 'rmmod_succeeds_after_stop', 'ops_gone_from_avail_operations']) {
      t.equal(status.get(`damon-ops-module.cycle_${c}.${step}`), 'PASS', `cycle ${c}: ${step}`);
    }
  }
  t.equal(status.get('damon-ops-module.all_cycles_pass'), 'PASS');
  t.equal(status.get('damon-ops-module.console_clean'), 'PASS', 'no KASAN report, lockdep splat or WARNING');
});

t.test('damon-ops-module on a kernel without KASAN, or without an ops module: SKIP with the reason', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-ops-module', '--series', 'lab-fixture', '--quiet'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  t.ok(summary.tests.filter((x) => x.path !== 'damon-ops-module.console_clean').every((x) => x.status === 'SKIP'));
  t.match(summary.tests[0]!.reason, /kernel config CONFIG_KASAN=n, suite needs CONFIG_KASAN=y/);
});
