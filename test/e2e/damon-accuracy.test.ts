import t from 'tap';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';

t.test('damon-accuracy on Debian 7.2 (the default kernel): vaddr and paddr find the hot set', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-accuracy'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  for (const mode of ['vaddr', 'paddr']) {
    const rec = summary.tests.find((x) => x.name === `${mode}_detects_hot_set`);
    t.equal(rec?.status, 'PASS', `${mode}: ${rec?.reason ?? ''}`);
    const m = Object.fromEntries((rec?.metrics ?? []).map((x) => [x.name, x]));
    t.equal(m.recall?.unit, '%');
    t.ok((m.recall?.value ?? 0) >= 80, `${mode} recall ${m.recall?.value}%`);
    t.ok((m.precision?.value ?? 0) >= 50, `${mode} precision ${m.precision?.value}%`);
    t.equal(m.time_to_detect?.unit, 's');
  }
});
