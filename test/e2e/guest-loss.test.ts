// A host fault is never a test failure: QEMU killed mid-suite is ERROR with the cause and exit 3; a guest
// kernel that panics mid-suite stays a test failure (exit 1). Both on real guests, mid-way through
// damon-accuracy (after its first check passed).
import t from 'tap';
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { GuestSsh } from '../../harness/guest/ssh-session.js';
import { ensureLabKeys } from '../../harness/guest/lab-keys.js';
import { cacheRoot } from '../../harness/util/paths.js';
import { labBin, newQemusLeft, liveQemus, newReportsDir, onlyReport, qemuChildrenOf, repo } from './lab-cli.js';

/** Starts `lab run SUITE` and resolves once its output shows `marker` (or rejects when it ends first). */
function runUntil(suite: string, reports: string, marker: RegExp): { child: ResultPromise; seen: Promise<void> } {
  const child = execa('node', [labBin, 'run', suite], {
    reject: false,
    all: true,
    env: { LAB_REPORTS: reports },
    cwd: repo,
  });
  let text = '';
  const seen = new Promise<void>((resolve, reject) => {
    child.all!.on('data', (d: Buffer) => {
      text += d.toString();
      if (marker.test(text)) resolve();
    });
    void child.then(() => reject(new Error(`lab ended before ${marker}:\n${text}`)));
  });
  return { child, seen };
}

t.test('QEMU killed mid-suite: ERROR with the cause, later checks not run, exit 3', async (t) => {
  const before = liveQemus();
  const reports = newReportsDir();
  const { child, seen } = runUntil('damon-accuracy', reports, /PASS\s+workload_starts/);
  await seen;
  const [qemu] = qemuChildrenOf(child.pid!);
  t.ok(qemu, "QEMU is the lab's child");
  process.kill(qemu!, 'SIGKILL');
  const r = await child;
  t.equal(r.exitCode, 3, String(r.all));
  t.match(String(r.all), /QEMU exited: killed by signal SIGKILL/);
  const { summary } = onlyReport(reports);
  t.equal(summary.outcome, 'guest-lost');
  t.equal(summary.status, 'ERROR');
  t.equal(
    summary.tests.find((x) => x.name === 'workload_starts')?.status,
    'PASS',
    'what passed before the fault stays',
  );
  const after = summary.tests.filter((x) => x.name !== 'workload_starts');
  t.same(
    after.filter((x) => x.status !== 'ERROR').map((x) => `${x.name} ${x.status}`),
    [],
    'nothing after the fault PASSes or FAILs',
  );
  t.match(
    after.find((x) => x.name === 'vaddr_detects_hot_set')?.reason,
    /QEMU exited: killed by signal SIGKILL/,
    'the interrupted check names the cause',
  );
  t.match(after.find((x) => x.name === 'paddr_detects_hot_set')?.reason, /^not run: .*QEMU exited/);
  t.match(summary.error?.message, /QEMU exited: killed by signal SIGKILL/);
  t.same(await newQemusLeft(before), []);
});

t.test('a guest kernel that panics mid-suite stays a test failure (exit 1) with the panic', async (t) => {
  const reports = newReportsDir();
  const { child, seen } = runUntil('damon-accuracy', reports, /PASS\s+workload_starts/);
  await seen;
  const [qemu] = qemuChildrenOf(child.pid!);
  // The guest's forwarded SSH port, from QEMU's own argv; in through the lab's keys, then crash it.
  const argv = readFileSync(`/proc/${qemu}/cmdline`, 'utf8').split('\0');
  const port = Number(/hostfwd=tcp:127\.0\.0\.1:(\d+)-:22/.exec(argv.join(' '))?.[1]);
  const keys = await ensureLabKeys(cacheRoot());
  const ssh = await GuestSsh.connect({
    port,
    privateKey: keys.clientPrivateKey,
    hostPublicKey: keys.hostPublicKey,
    timeoutMs: 10000,
  });
  await ssh.exec('echo c > /proc/sysrq-trigger', { timeoutMs: 3000 }).catch(() => {});
  ssh.close();
  const r = await child;
  t.equal(r.exitCode, 1, String(r.all));
  const { summary } = onlyReport(reports);
  t.equal(summary.outcome, 'test-failed');
  t.equal(summary.tests.find((x) => x.name === 'console_clean')?.status, 'FAIL');
  t.ok(
    summary.console.findings.some((f) => f.kind === 'panic'),
    'the panic is in the report',
  );
  t.notOk(summary.error, 'no infrastructure error');
});
