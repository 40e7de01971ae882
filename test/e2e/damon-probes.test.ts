import t from 'tap';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test("data attributes monitoring on 7.2: each hot set's regions are hit by its own probe", async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-probes', '--kernel', 'debian-7.2'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  for (const name of ['anon_hot_set_hits_anon_probe', 'file_hot_set_hits_file_probe']) {
    const rec = summary.tests.find((x) => x.name === name);
    t.equal(rec?.status, 'PASS', name);
    t.ok((rec?.metrics?.[0]?.value ?? 0) >= 80, `${name}: ${rec?.metrics?.[0]?.value}% on its own probe`);
  }
});

t.test('on 6.12 (no probes/) every check is SKIP with the file and the release that added it', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-probes', '--kernel', 'debian-6.12'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const tests = onlyReport(reports).summary.tests.filter((x) => x.name !== 'console_clean');
  t.ok(
    tests.length === 5 && tests.every((x) => x.status === 'SKIP'),
    JSON.stringify(tests.map((x) => [x.name, x.status])),
  );
  t.match(tests[0]?.reason, /no monitoring_attrs\/probes \(data attributes monitoring \(probes\); Linux 7\.2\)/);
});
