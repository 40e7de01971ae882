import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test('lab run damon-smoke boots the stock 6.12 kernel and passes end to end', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { dir, summary } = onlyReport(reports);
  for (const f of ['summary.json', 'results.tap', 'junit.xml', 'console.log', 'report.html']) t.ok(existsSync(join(dir, f)), f);
  t.equal(summary.status, 'PASS');
  t.match(summary.kernel?.release, /^6\.12\.\d+\+deb\d+-cloud-amd64$/);
  t.match(summary.kernel?.source, /^debian:linux-image-6\.12/);
  t.ok(['tcg', 'kvm'].includes(summary.guest?.accel ?? ''), 'accel recorded');
  t.ok(summary.guest?.argv?.some((a) => a.includes('hostfwd=tcp:127.0.0.1:')), 'argv recorded, SSH on loopback');
  t.equal(summary.guest?.shutdown, 'poweroff', 'clean poweroff');
  const names = summary.tests.map((x) => x.name);
  t.same(names, [
    'damon_sysfs_exists', 'avail_operations_lists_vaddr', 'workload_starts', 'kdamond_starts_on_vaddr',
    'regions_are_read', 'hottest_region_overlaps_hot_range', 'kdamond_stops', 'console_clean',
  ]);
  t.ok(summary.tests.every((x) => x.status === 'PASS'), JSON.stringify(summary.tests.filter((x) => x.status !== 'PASS')));
  const covered = summary.tests.find((x) => x.name === 'hottest_region_overlaps_hot_range')?.metrics?.[0];
  t.equal(covered?.unit, '%');
  t.ok((covered?.value ?? 0) > 0);
  for (const stage of ['kernel', 'image', 'boot', 'suite', 'shutdown']) t.ok(summary.stages.some((s) => s.stage === stage), `stage ${stage} timed`);
  const tap = readFileSync(join(dir, 'results.tap'), 'utf8');
  t.match(tap, /^TAP version 14\n/);
  t.match(tap, /1\.\.8/);
  t.notMatch(tap, /not ok/);
  t.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /<testsuite name="damon-smoke" tests="8" failures="0" errors="0"/);
  t.match(readFileSync(join(dir, 'console.log'), 'utf8'), /LAB-READY/);
  t.match(r.stdout, /damon-smoke: PASS/);
});
