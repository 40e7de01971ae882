import t from 'tap';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test('damon-perf-events on the stock kernel under TCG: each missing piece is SKIP with its reason', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-perf-events'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  const by = new Map(summary.tests.map((x) => [x.name, x]));
  t.equal(by.get('kernel_has_perf_events_dir')?.status, 'SKIP');
  t.match(by.get('kernel_has_perf_events_dir')?.reason, /has no perf_events\/ directory in a DAMON context/);
  if (summary.guest?.accel === 'tcg') {
    t.equal(by.get('guest_pmu_samples_memory')?.status, 'SKIP');
    t.match(by.get('guest_pmu_samples_memory')?.reason, /the guest has no PMU that samples data addresses/);
  }
  t.equal(by.get('regions_see_accesses')?.status, 'SKIP');
  t.match(by.get('regions_see_accesses')?.reason, /needs perf_events\//);
  t.ok(summary.host?.vendor, 'host capabilities in the summary');
});

t.test(
  'a suite that requires KVM and AMD IBS where they are missing: every check SKIP with the exact reasons',
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', new URL('../fixtures/suites/needs-kvm-ibs.yaml', import.meta.url).pathname], {
      reports,
    });
    t.equal(r.exitCode, 0, r.all);
    const { summary } = onlyReport(reports);
    t.ok(
      summary.tests.length >= 7 && summary.tests.every((x) => x.status === 'SKIP'),
      JSON.stringify(summary.tests.map((x) => x.status)),
    );
    const reason = summary.tests[0]!.reason ?? '';
    if (summary.guest?.accel === 'tcg') t.match(reason, /needs KVM; this run uses TCG \(KVM unusable/);
    if (summary.host?.vendor !== 'AMD') t.match(reason, /needs an AMD CPU with IBS; the host CPU is/);
    t.notOk(summary.guest?.argv, 'no guest was booted');
  },
);
