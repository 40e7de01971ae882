import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test("lab run damon-smoke boots Debian's 7.2 kernel (the default) and passes end to end", async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { dir, summary } = onlyReport(reports);
  for (const f of ['summary.json', 'results.tap', 'junit.xml', 'console.log', 'report.html'])
    t.ok(existsSync(join(dir, f)), f);
  t.equal(summary.status, 'PASS');
  t.match(summary.kernel?.release, /^7\.2\.\d+\+deb\d+-cloud-amd64$/);
  // The exact packages and versions of the split 7.x kernel.
  t.match(
    summary.kernel?.source,
    /^debian:linux-binary-7\.2\.\d+\+deb\d+-cloud-amd64 7\.2\.\d+-\d+, linux-modules-7\.2\.\S+ 7\.2\.\S+, linux-base-7\.2\.\S+ 7\.2\.\S+$/,
  );
  t.same(
    summary.damon?.keptOff,
    ['damon_stat.enabled=N'],
    'damon_stat (on at boot in Debian 7.2) kept off, and the report says so',
  );
  t.ok(['tcg', 'kvm'].includes(summary.guest?.accel ?? ''), 'accel recorded');
  t.ok(
    summary.guest?.argv?.some((a) => a.includes('hostfwd=tcp:127.0.0.1:')),
    'argv recorded, SSH on loopback',
  );
  t.equal(summary.guest?.shutdown, 'poweroff', 'clean poweroff');
  const names = summary.tests.map((x) => x.name);
  t.same(names, [
    'damon_sysfs_exists',
    'avail_operations_lists_vaddr',
    'workload_starts',
    'kdamond_starts_on_vaddr',
    'regions_are_read',
    'hottest_region_overlaps_hot_range',
    'kdamond_stops',
    'console_clean',
  ]);
  t.ok(
    summary.tests.every((x) => x.status === 'PASS'),
    JSON.stringify(summary.tests.filter((x) => x.status !== 'PASS')),
  );
  const covered = summary.tests.find((x) => x.name === 'hottest_region_overlaps_hot_range')?.metrics?.[0];
  t.equal(covered?.unit, '%');
  t.ok((covered?.value ?? 0) > 0);
  // Booted, or restored from the snapshot an earlier run of this guest saved.
  const started = summary.snapshot?.restoredFrom ? 'restore' : 'boot';
  for (const stage of ['kernel', 'image', started, 'suite', 'shutdown'])
    t.ok(
      summary.stages.some((s) => s.stage === stage),
      `stage ${stage} timed`,
    );
  const tap = readFileSync(join(dir, 'results.tap'), 'utf8');
  t.match(tap, /^TAP version 14\n/);
  t.match(tap, /1\.\.8/);
  t.notMatch(tap, /not ok/);
  t.match(
    readFileSync(join(dir, 'junit.xml'), 'utf8'),
    /<testsuite name="damon-smoke" tests="8" failures="0" errors="0"/,
  );
  t.match(readFileSync(join(dir, 'console.log'), 'utf8'), /LAB-READY/);
  t.match(r.stdout, /damon-smoke: PASS/);
  // The image holds the guest's SSH host private key: readable by its owner only, in a private cache.
  const { statSync } = await import('node:fs');
  const { cacheRoot } = await import('../../harness/util/paths.js');
  t.equal(statSync(summary.image!.path).mode & 0o777, 0o600, 'the initramfs is 0600');
  // 0700, or 0710 once a root lab's build user exists (its group may pass through to the build folders, nothing more).
  const st = statSync(cacheRoot());
  const { execa } = await import('execa');
  const buildGid = await execa('getent', ['group', 'damon-lab-build'], { reject: false }).then((r) =>
    r.exitCode === 0 ? Number(r.stdout.split(':')[2]) : undefined,
  );
  if ((st.mode & 0o777) === 0o710) t.equal(st.gid, buildGid, "the cache is 0710 for the build user's group only");
  else t.equal(st.mode & 0o777, 0o700, 'the cache is 0700');
});

t.test('damon-smoke on debian-6.12 and debian-7.3 too', async (t) => {
  for (const [id, release] of [
    ['debian-6.12', /^6\.12\./],
    ['debian-7.3', /^7\.3/],
  ] as const) {
    const reports = newReportsDir();
    const r = await lab(['run', 'damon-smoke', '--kernel', id], { reports });
    t.equal(r.exitCode, 0, r.all);
    t.match(onlyReport(reports).summary.kernel?.release, release, id);
  }
});

t.test('a suite that leaves in-kernel DAMON users alone gets EBUSY named, not bare', async (t) => {
  const { mkdtempSync, writeFileSync, readFileSync: read } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'lab-shared-damon-'));
  const suite = join(dir, 'damon-smoke-shared.yaml');
  writeFileSync(
    suite,
    read(new URL('../../suites/damon-smoke.yaml', import.meta.url), 'utf8').replace(
      /^name: damon-smoke$/m,
      'name: damon-smoke-shared',
    ) + 'damon_exclusive: false\n',
  );
  const reports = newReportsDir();
  const r = await lab(['run', suite], { reports });
  t.equal(r.exitCode, 1, r.all);
  const k = onlyReport(reports).summary.tests.find((x) => x.name === 'kdamond_starts_on_vaddr');
  t.equal(k?.status, 'FAIL');
  t.match(
    k?.reason,
    /Device or resource busy: DAMON is in use by the in-kernel damon_stat \(damon_stat\.enabled=Y\); turn it off with damon_stat\.enabled=N/,
  );
});
