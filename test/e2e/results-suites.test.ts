import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

// On the fixture series' kernel (built by series-build.test.ts, or here: the artifact cache makes it free).
t.test('damon-kunit: built-in DAMON suites from the boot console and a test module from debugfs', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-kunit', '--series', 'lab-fixture'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { dir, summary } = onlyReport(reports);
  const paths = summary.tests.map((x) => x.path);
  t.ok(
    paths.some((p) => p.startsWith('damon-kunit.damon.damon_test_')),
    'core suite cases',
  );
  t.ok(
    paths.some((p) => p.startsWith('damon-kunit.damon-sysfs.')),
    'sysfs suite cases',
  );
  t.same(paths.filter((p) => p.startsWith('damon-kunit.damon_lab_fixture.')).sort(), [
    'damon-kunit.damon_lab_fixture.damon_lab_fixture_test_clamped',
    'damon-kunit.damon_lab_fixture.damon_lab_fixture_test_empty_whole',
    'damon-kunit.damon_lab_fixture.damon_lab_fixture_test_half',
  ]);
  t.ok(
    summary.tests.every((x) => x.status === 'PASS'),
    JSON.stringify(summary.tests.filter((x) => x.status !== 'PASS')),
  );
  t.ok(
    summary.kernel?.buildId && summary.kernel.series === 'lab-fixture' && summary.kernel.configSha,
    'run metadata: build id, series, config hash',
  );
  t.notMatch(summary.guest?.cmdline ?? '', /lab\.tlb_churn/, 'KUnit monitors nothing: no TLB churn');

  // The saved console parses to the same cases: the boot-time run, and the module's run printed when it loaded.
  const parsed = await lab(['parse', join(dir, 'console.log'), '--json']);
  t.equal(parsed.exitCode, 0, parsed.stderr);
  const tree = JSON.parse(parsed.stdout) as { counts: { total: number; PASS: number } };
  const cases = summary.tests.filter((x) => x.name !== 'kunit_results_found' && x.name !== 'console_clean');
  t.equal(tree.counts.total, cases.length);
  t.equal(tree.counts.PASS, cases.length);
});

t.test(
  'damon-kunit: the test module at boot needs no SSH; load_modules: ssh loads it over SSH after boot',
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-kunit', '--series', 'lab-fixture'], { reports });
    t.equal(r.exitCode, 0, r.all);
    const boot = onlyReport(reports);
    t.notOk(
      boot.summary.stages.some((s) => s.stage === 'ssh'),
      'no SSH stage',
    );
    t.equal(boot.summary.guest?.shutdown, 'qmp-quit', 'nothing to power off over SSH');
    t.match(readFileSync(join(boot.dir, 'console.log'), 'utf8'), /^LAB-KUNIT-RESULTS damon_lab_fixture \d+ /m);

    const overSsh = newReportsDir();
    const suite = new URL('../fixtures/suites/kunit-modules-over-ssh.yaml', import.meta.url).pathname;
    const s = await lab(['run', suite, '--series', 'lab-fixture'], { reports: overSsh });
    t.equal(s.exitCode, 0, s.all);
    const { dir, summary } = onlyReport(overSsh);
    t.ok(
      summary.stages.some((x) => x.stage === 'ssh'),
      'an SSH stage',
    );
    t.notMatch(readFileSync(join(dir, 'console.log'), 'utf8'), /LAB-KUNIT-RESULTS/, 'no boot script ran');
    t.same(
      summary.tests.filter((x) => x.path.startsWith('kunit-modules-over-ssh.damon_lab_fixture.')).map((x) => x.status),
      ['PASS', 'PASS', 'PASS'],
    );
    t.match(
      readFileSync(join(dir, 'kunit-damon_lab_fixture.ktap'), 'utf8'),
      /# Subtest: damon_lab_fixture/,
      'the debugfs results, kept',
    );
  },
);

// The console-only kernel (kernel/series/kunit-console-7.2.yaml): no network, no modules, no init. The guest
// runs the built-in suites at boot and ends itself; the run reads the console alone.
t.test(
  'damon-kunit on the console-only 7.2 kernel: KTAP from the console, no SSH, the guest ends itself',
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-kunit', '--series', 'kunit-console-7.2'], { reports });
    t.equal(r.exitCode, 0, r.all);
    const { summary } = onlyReport(reports);
    t.equal(summary.guest?.shutdown, 'already-exited', 'kunit_shutdown=reboot ended QEMU');
    t.notOk(summary.guest?.argv?.includes('-netdev'), 'no network device');
    t.notOk(summary.guest?.argv?.includes('-initrd'), 'no initramfs');
    t.notOk(
      summary.stages.some((s) => s.stage === 'ssh'),
      'no SSH stage',
    );
    t.match(summary.kernel?.release, /^7\.2\./);
    // Debian's 7.2 source has 34 DAMON KUnit cases; they run at boot only with KUNIT_AUTORUN_ENABLED (kunit.config's
    // 7.x block).
    const cases = summary.tests.filter((x) => /^damon-kunit\.damon[-a-z]*\./.test(x.path));
    const by = (suite: string) => cases.filter((x) => x.path.startsWith(`damon-kunit.${suite}.`)).length;
    t.same(
      [by('damon'), by('damon-operations'), by('damon-sysfs')],
      [28, 5, 1],
      'damon 28, damon-operations 5, damon-sysfs 1',
    );
    t.ok(
      cases.every((x) => x.status === 'PASS'),
      JSON.stringify(cases.filter((x) => x.status !== 'PASS')),
    );
    const fixture = summary.tests.find((x) => x.path === 'damon-kunit.damon_lab_fixture');
    t.equal(fixture?.status, 'SKIP', 'the test module is not in this kernel');

    // A suite that needs SSH is SKIP on it, before anything boots, and says why.
    const smokeReports = newReportsDir();
    const smoke = await lab(['run', 'damon-smoke', '--series', 'kunit-console-7.2'], { reports: smokeReports });
    t.equal(smoke.exitCode, 0, smoke.all);
    const s2 = onlyReport(smokeReports).summary;
    t.ok(s2.tests.length > 0 && s2.tests.every((x) => x.status === 'SKIP'));
    t.match(
      s2.tests[0]!.reason,
      /cannot be reached over SSH \(CONFIG_NET=n.*console-only kernel, and suite damon-smoke needs SSH/,
    );
  },
);

t.test('damon-kunit on the stock kernel: SKIP with the missing symbols', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-kunit'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  t.ok(summary.tests.length > 0 && summary.tests.every((x) => x.status === 'SKIP'));
  t.match(summary.tests[0]!.reason, /CONFIG_DAMON_KUNIT_TEST=n, suite needs CONFIG_DAMON_KUNIT_TEST=y/);
});

t.test('damon-selftests: run_kselftest.sh in the Debian rootfs guest', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-selftests', '--series', 'lab-fixture'], { reports });
  t.ok(r.exitCode === 0 || r.exitCode === 1, r.all);
  const { summary } = onlyReport(reports);
  t.ok(summary.image?.rootfs, 'booted the rootfs image');
  const byName = new Map(summary.tests.map((x) => [x.path, x]));
  t.equal(byName.get('damon-selftests.kselftests_installed')?.status, 'PASS');
  t.equal(byName.get('damon-selftests.run_kselftest')?.status, 'PASS');
  const sysfs = summary.tests.find((x) => x.path.startsWith('damon-selftests.sysfs_sh'));
  t.ok(sysfs, 'sysfs.sh reported');
  // The kernel has no DAMON debugfs (CONFIG_DAMON_DBGFS unset): the tests that need it are SKIP, not FAIL.
  const debugfs = summary.tests.filter((x) => x.path.startsWith('damon-selftests.debugfs_'));
  t.ok(
    debugfs.length > 0 && debugfs.every((x) => x.status !== 'FAIL'),
    JSON.stringify(debugfs.map((x) => [x.path, x.status])),
  );
  t.equal(byName.get('damon-selftests.debugfs_attrs_sh')?.status, 'SKIP');
  t.equal(byName.get('damon-selftests.reclaim_sh')?.status, 'SKIP', 'no CONFIG_DAMON_RECLAIM: SKIP');
});
