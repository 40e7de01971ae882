import t from 'tap';
import { execa } from 'execa';
import { lab, labBin, liveQemus, newQemusLeft, newReportsDir, onlyReport, qemuChildrenOf, alive, repo } from './lab-cli.js';

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`${signal} during boot stops QEMU, exits 130 and keeps a partial report`, async (t) => {
    const before = liveQemus();
    const reports = newReportsDir();
    const child = execa('node', [labBin, 'run', 'damon-smoke'], { reject: false, all: true, env: { LAB_REPORTS: reports }, cwd: repo });
    let qemus: number[] = [];
    const started = await waitFor(() => (qemus = qemuChildrenOf(child.pid!)).length > 0, 60000);
    t.ok(started, 'QEMU started');
    await new Promise((r) => setTimeout(r, 1000));
    child.kill(signal);
    const r = await child;
    t.equal(r.exitCode, 130, r.all);
    t.ok(qemus.every((p) => !alive(p)), `QEMU ${qemus.join(',')} is gone`);
    t.same(await newQemusLeft(before), [], 'no QEMU left anywhere');
    const { summary } = onlyReport(reports);
    t.equal(summary.exitCode, 130);
    t.match(summary.error?.message, new RegExp(`interrupted by ${signal}`));
  });
}

t.test('a successful run leaves no QEMU child behind', async (t) => {
  const child = lab(['run', 'damon-smoke', '--quiet']);
  let qemus: number[] = [];
  await waitFor(() => (qemus = qemuChildrenOf(child.pid!)).length > 0, 60000);
  const r = await child;
  t.equal(r.exitCode, 0, r.all);
  t.ok(qemus.length > 0 && qemus.every((p) => !alive(p)));
});
