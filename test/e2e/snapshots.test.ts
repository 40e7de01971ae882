// Snapshots of booted guests with real QEMU: a restored run gives the booted run's results, two restored
// at once from one snapshot do not interfere, a damaged snapshot is found, deleted and the run boots, and
// a restored guest's clock is the host's.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { lab, newReportsDir } from './lab-cli.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import { executeRun, resolveRun } from '../../harness/run/run-suite.js';
import { localRunOps } from '../../harness/run/run-ops.js';
import { cacheRoot } from '../../harness/util/paths.js';
import type { Scenario } from '../../harness/suites/scenario.js';

const summaries = (reports: string): RunSummary[] =>
  readdirSync(reports)
    .sort()
    .map((d) => JSON.parse(readFileSync(join(reports, d, 'summary.json'), 'utf8')) as RunSummary);
const statuses = (s: RunSummary) => s.tests.map((x) => `${x.name} ${x.status}`);

for (const suite of ['damon-smoke', 'damon-accuracy']) {
  t.test(`${suite}: a booted run, then a restored one with the same results`, async (t) => {
    const reports = newReportsDir();
    const booted = await lab(['run', suite, '--guest', 'small'], { reports });
    t.equal(booted.exitCode, 0, booted.all);
    const restored = await lab(['run', suite, '--guest', 'small'], { reports });
    t.equal(restored.exitCode, 0, restored.all);
    const [a, b] = summaries(reports);
    // The first may itself have been restored (an earlier test saved this key): then both were.
    t.ok(a!.snapshot?.saved || a!.snapshot?.restoredFrom, 'the first run saved the guest (or found it saved)');
    t.ok(b!.snapshot?.restoredFrom, 'the second started from the snapshot');
    t.notOk(
      b!.stages.some((s) => s.stage === 'boot'),
      'and did not boot',
    );
    t.same(statuses(b!), statuses(a!), 'the same verdicts');
    t.match(
      readFileSync(join(reports, readdirSync(reports).sort()[1]!, 'console.log'), 'utf8'),
      /LAB-READY/,
      "the restored run's console starts with the boot's",
    );
  });
}

t.test('two restored runs at once from one snapshot: both pass, each on its own port', async (t) => {
  const reports = newReportsDir();
  const warm = await lab(['run', 'damon-smoke', '--guest', 'small'], { reports });
  t.equal(warm.exitCode, 0, warm.all);
  const [x, y] = await Promise.all([
    lab(['run', 'damon-smoke', '--guest', 'small'], { reports }),
    lab(['run', 'damon-smoke', '--guest', 'small'], { reports }),
  ]);
  t.equal(x.exitCode, 0, x.all);
  t.equal(y.exitCode, 0, y.all);
  const runs = summaries(reports).slice(1);
  t.ok(
    runs.every((s) => s.snapshot?.restoredFrom === runs[0]!.snapshot?.restoredFrom && s.snapshot?.restoredFrom),
    'both from the one snapshot',
  );
  const port = (s: RunSummary) => /hostfwd=tcp:127\.0\.0\.1:(\d+)-:22/.exec(s.guest?.argv?.join(' ') ?? '')?.[1];
  t.not(port(runs[0]!), port(runs[1]!), 'forwarded ports differ');
});

t.test('a damaged snapshot is found, deleted, and the run boots (and saves a good one)', async (t) => {
  const reports = newReportsDir();
  const warm = await lab(['run', 'damon-smoke', '--guest', 'small'], { reports });
  t.equal(warm.exitCode, 0, warm.all);
  const first = summaries(reports)[0]!;
  const dir = join(cacheRoot(), 'snapshots', first.snapshot!.key);
  const state = join(dir, 'state');
  // Same size, other bytes in the middle: only the hash can tell.
  const fd = openSync(state, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(statSync(state).size / 2));
  closeSync(fd);
  const r = await lab(['run', 'damon-smoke', '--guest', 'small'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const s = summaries(reports)[1]!;
  t.match(
    s.snapshot?.note,
    /did not restore \((QEMU could not restore the saved guest|its state file does not match the hash it was saved with).*\): deleted, booted instead/,
  );
  t.ok(
    s.stages.some((x) => x.stage === 'boot'),
    'booted',
  );
  t.equal(s.snapshot?.saved, true, 'and saved a good one in its place');
  t.ok(existsSync(join(dir, 'meta.json')));

  // A state file cut short: QEMU itself refuses it (size no longer matches: no snapshot at all, then a boot).
  writeFileSync(state, readFileSync(state).subarray(0, 1 << 20));
  const cut = await lab(['run', 'damon-smoke', '--guest', 'small'], { reports });
  t.equal(cut.exitCode, 0, cut.all);
  t.ok(
    summaries(reports)[2]!.stages.some((x) => x.stage === 'boot'),
    'a truncated snapshot is no snapshot: the run boots',
  );
});

t.test("a restored guest's wall clock is within a second of the host's, and its random stream its own", async (t) => {
  const reports = newReportsDir();
  process.env.LAB_REPORTS = reports;
  const warm = await lab(['run', 'damon-smoke', '--guest', 'small'], { reports });
  t.equal(warm.exitCode, 0, warm.all);
  // The same machine as damon-smoke's (so the same snapshot), with a scenario that reads the guest's clock
  // and a random UUID (from the CRNG: the same in two guests of one snapshot unless it was reseeded).
  const plan = await resolveRun({ suite: 'damon-smoke', guest: 'small' });
  const skews: number[] = [];
  const uuids: string[] = [];
  const probe: Scenario = {
    checks: ['clock'],
    async run(ctx) {
      await ctx.checks.check('clock', async () => {
        uuids.push((await ctx.ssh.exec('cat /proc/sys/kernel/random/uuid')).stdout.trim());
        for (let i = 0; i < 3; i++) {
          const before = Date.now();
          const r = await ctx.ssh.exec('date +%s');
          const after = Date.now();
          skews.push(Number(r.stdout.trim()) * 1000 - (before + after) / 2);
        }
      });
    },
  };
  for (let i = 0; i < 2; i++) {
    const { summary } = await executeRun(
      { ...plan, runId: `${plan.runId}-${i}`, reportDir: `${plan.reportDir}-${i}`, scenario: probe },
      localRunOps(cacheRoot(), () => {}),
      () => {},
    );
    t.ok(summary.snapshot?.restoredFrom, `run ${i + 1} restored`);
    t.equal(summary.tests.find((x) => x.name === 'clock')?.status, 'PASS');
  }
  // date +%s truncates to the second: a right clock reads between -1000 and 0 ms off the midpoint.
  t.ok(
    skews.length === 6 && skews.every((s) => s > -1500 && s < 1000),
    `guest clock minus host clock: ${skews.map((s) => s.toFixed(0)).join(', ')} ms`,
  );
  t.equal(uuids.length, 2);
  t.not(uuids[0], uuids[1], 'two guests from one snapshot draw different random numbers');
});
