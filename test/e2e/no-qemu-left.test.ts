import t from 'tap';
import { execa } from 'execa';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import {
  lab,
  labBin,
  liveQemus,
  newQemusLeft,
  newReportsDir,
  onlyReport,
  qemuChildrenOf,
  alive,
  repo,
} from './lab-cli.js';

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
    const child = execa('node', [labBin, 'run', 'damon-smoke'], {
      reject: false,
      all: true,
      env: { LAB_REPORTS: reports },
      cwd: repo,
    });
    let qemus: number[] = [];
    const started = await waitFor(() => (qemus = qemuChildrenOf(child.pid!)).length > 0, 60000);
    t.ok(started, 'QEMU started');
    await new Promise((r) => setTimeout(r, 1000));
    child.kill(signal);
    const r = await child;
    t.equal(r.exitCode, 130, r.all);
    t.ok(
      qemus.every((p) => !alive(p)),
      `QEMU ${qemus.join(',')} is gone`,
    );
    t.same(await newQemusLeft(before), [], 'no QEMU left anywhere');
    const { summary } = onlyReport(reports);
    t.equal(summary.outcome, 'interrupted');
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

/** Run dirs in $TMPDIR whose owner file names the given pid. */
function runDirsOf(pid: number): string[] {
  const tmp = tmpdir();
  return fs
    .readdirSync(tmp)
    .filter((n) => n.startsWith('damon-lab-'))
    .filter((n) => {
      try {
        return fs.readFileSync(`${tmp}/${n}/owner`, 'utf8').startsWith(`${pid} `);
      } catch {
        return false;
      }
    });
}

for (const when of ['boot', 'suite'] as const) {
  t.test(
    `kill -9 of the lab mid-${when}: its QEMU dies with it, and the next command sweeps its run dir`,
    async (t) => {
      const before = liveQemus();
      const reports = newReportsDir();
      const child = execa('node', [labBin, 'run', 'damon-accuracy'], {
        reject: false,
        all: true,
        env: { LAB_REPORTS: reports },
        cwd: repo,
      });
      let out = '';
      child.all!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      let qemus: number[] = [];
      t.ok(await waitFor(() => (qemus = qemuChildrenOf(child.pid!)).length > 0, 60000), 'QEMU started');
      if (when === 'suite')
        t.ok(await waitFor(() => /PASS\s+workload_starts/.test(out), 120000), 'the suite is under way');
      else await new Promise((r) => setTimeout(r, 500));
      const dirs = runDirsOf(child.pid!);
      t.equal(dirs.length, 1, "the run dir is marked as this lab's");
      child.kill('SIGKILL');
      await child;
      t.ok(
        await waitFor(() => qemus.every((p) => !alive(p)), 5000),
        `QEMU ${qemus.join(',')} died with the lab (pdeathsig)`,
      );
      t.same(await newQemusLeft(before), [], 'no QEMU left anywhere');
      const next = await lab(['list']);
      t.equal(next.exitCode, 0);
      t.match(next.stderr, /cleaned up after a lab process that was killed/);
      t.same(runDirsOf(child.pid!), [], "the killed lab's run dir is gone");
    },
  );
}
