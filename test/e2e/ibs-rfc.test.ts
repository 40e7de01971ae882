// The IBS RFC port on Debian's 7.2 source (../shared/seeds/ravi-ibs-rfc-on-7.2), end to end: built once
// with damon_ibs.ko, its DAMON KUnit suites counted, the module suite honest about the missing IBS, the
// ordinary DAMON suites on it. Opt-in (a cold 7.2 build with modules and selftests is several minutes):
//   LAB_TEST_RFC=1 ./lab test test/e2e/ibs-rfc.test.ts
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport, repo } from './lab-cli.js';

const seeds = join(repo, '..', 'shared', 'seeds', 'ravi-ibs-rfc-on-7.2');
const skip = !process.env.LAB_TEST_RFC
  ? 'opt-in: LAB_TEST_RFC=1 (builds the RFC port on 7.2)'
  : existsSync(seeds)
    ? false
    : `no seeds folder at ${seeds}`;

t.test('the RFC port builds, damon_ibs.ko included', { skip }, async (t) => {
  const r = await lab(['build', '--series', 'ravi-ibs-rfc-on-7.2']);
  t.equal(r.exitCode, 0, r.all);
  t.match(r.all, /7\.2\.\d+/);
});

t.test('damon-kunit on the console-only RFC kernel: the same 34 DAMON cases at boot, no SSH', { skip }, async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-kunit', '--series', 'ravi-ibs-rfc-on-7.2-console'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const cases = onlyReport(reports).summary.tests.filter((x) =>
    /^damon-kunit\.damon(-operations|-sysfs)?\./.test(x.path),
  );
  const by = (suite: string) => cases.filter((x) => x.path.startsWith(`damon-kunit.${suite}.`)).length;
  t.same([by('damon'), by('damon-operations'), by('damon-sysfs')], [28, 5, 1]);
  t.ok(cases.every((x) => x.status === 'PASS'));
});

t.test(
  'damon-kunit on the RFC kernel: 34 DAMON cases (damon 28, damon-operations 5, damon-sysfs 1)',
  { skip },
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-kunit', '--series', 'ravi-ibs-rfc-on-7.2'], { reports });
    t.equal(r.exitCode, 0, r.all);
    const cases = onlyReport(reports).summary.tests.filter((x) =>
      /^damon-kunit\.damon(-operations|-sysfs)?\./.test(x.path),
    );
    const by = (suite: string) => cases.filter((x) => x.path.startsWith(`damon-kunit.${suite}.`)).length;
    t.same([by('damon'), by('damon-operations'), by('damon-sysfs')], [28, 5, 1]);
    t.ok(cases.every((x) => x.status === 'PASS'));
  },
);

t.test(
  'damon-ops-module on the RFC kernel under TCG: ENODEV recorded, the IBS checks SKIP, nothing PASSes that did not run',
  { skip },
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-ops-module', '--series', 'ravi-ibs-rfc-on-7.2'], { reports });
    t.equal(r.exitCode, 0, r.all);
    const tests = onlyReport(reports).summary.tests;
    const load = tests.find((x) => x.name === 'cycle_1.module_loads');
    t.equal(load?.status, 'SKIP');
    t.match(
      load?.reason,
      /modprobe damon_ibs: .*No such device.* \(ENODEV\): the guest CPU has no 'ibs' flag \(X86_FEATURE_IBS/,
    );
    t.ok(
      tests
        .filter((x) => x.name.startsWith('cycle_1.') && x.name !== 'cycle_1.module_loads')
        .every((x) => x.status === 'SKIP'),
    );
    t.equal(tests.find((x) => x.name === 'all_cycles_pass')?.status, 'SKIP');
    t.equal(tests.find((x) => x.name === 'module_is_installed')?.status, 'PASS', 'damon_ibs.ko is in the image');
  },
);

t.test(
  'ordinary DAMON on the RFC kernel: damon-smoke monitors as on 7.2; turning the kdamond off oopses or not by what the slab held',
  { skip },
  async (t) => {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-smoke', '--series', 'ravi-ibs-rfc-on-7.2'], { reports });
    const { summary } = onlyReport(reports);
    const by = new Map(summary.tests.map((x) => [x.name, x]));
    for (const name of [
      'damon_sysfs_exists',
      'avail_operations_lists_vaddr',
      'workload_starts',
      'kdamond_starts_on_vaddr',
      'regions_are_read',
      'hottest_region_overlaps_hot_range',
    ])
      t.equal(by.get(name)?.status, 'PASS', name);
    // The port's kdamond_call() calls a cleanup_fn that 7.2's sysfs.c never set (kmalloc'd, not zeroed):
    // whether that oopses depends on the slab's old bytes. The slub-poison test below makes it certain.
    if (r.exitCode !== 0) {
      t.equal(r.exitCode, 1, r.all);
      t.match(
        summary.console.findings.map((f) => f.excerpt).join('\n'),
        /kdamond_call/,
        "the only failure is the port's oops in kdamond_call",
      );
    }
  },
);

// Patches 1-2 are the port's setup (the RFC's base DAMON files, then build glue): patch 1 alone does not
// build, so the RFC's own seven patches are checked from 3 with 1-2 in the base.
t.test(
  "lab patchcheck --from 3 over the RFC's seven patches and the port's last: each prefix builds, KUnit per prefix, per-prefix times",
  { skip },
  async (t) => {
    const r = await lab(['patchcheck', '--series', 'ravi-ibs-rfc-on-7.2', '--from', '3', '--suite', 'damon-kunit']);
    t.equal(r.exitCode, 0, r.all);
    t.match(r.all, /8 prefix\(es\) checked with damon-kunit; patches 1-2 with the base/);
    const lines = r.all.split('\n').filter((l) => /^ {2}(base|patch \d+)\s/.test(l));
    t.equal(lines.length, 9, 'the base (with 1-2) and patches 3-10');
    t.ok(
      lines.every((l) => / ok {3}/.test(l) && /\[build (cached|\d+ s), all \d+ s\]/.test(l)),
      lines.join('\n'),
    );
    t.match(r.all, /every patch is good/);
  },
);

// The oops the RFC matrix found (kdamond_call calling a cleanup_fn that 7.2's sysfs.c never set) is the
// port's base, not the RFC's patches: in the slub-poison guest the base with patches 1-2 already fails.
t.test(
  'patchcheck --from 3 with damon-smoke in the slub-poison guest: the base with patches 1-2 already oopses (exit 2)',
  { skip },
  async (t) => {
    const r = await lab([
      'patchcheck',
      '--series',
      'ravi-ibs-rfc-on-7.2',
      '--from',
      '3',
      '--suite',
      'damon-smoke',
      '--guest',
      'slub-poison',
    ]);
    t.equal(r.exitCode, 2, r.all);
    t.match(r.all, /the series' base [0-9a-f]{12} with patches 1-2 already fails damon-smoke/);
  },
);
