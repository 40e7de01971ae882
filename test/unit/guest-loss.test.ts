// When a check fails, is the guest lost to the host (exit 3) or did the kernel fail (exit 1)? Decided
// by RunningGuest.infrastructureLoss from the machine's end, SSH's state and the console; here with a
// fake machine and console, so every combination is covered without QEMU.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGuest, type GuestMachine } from '../../harness/vm/boot-guest.js';
import type { GuestSsh } from '../../harness/guest/ssh-session.js';
import { CheckRecorder } from '../../harness/suites/check-recorder.js';

function fakeGuest(o: {
  console?: string;
  ended?: { how: string; byGuest: boolean };
  sshDropped?: string;
}): RunningGuest {
  const dir = mkdtempSync(join(tmpdir(), 'lab-loss-'));
  const consoleLog = join(dir, 'console.log');
  writeFileSync(consoleLog, o.console ?? '[    1.000000] Run /init as init process\n');
  const machine: GuestMachine = {
    ended: o.ended ? Promise.resolve(o.ended.how) : new Promise(() => {}),
    endedByGuest: () => o.ended?.byGuest ?? false,
    stderr: () => (o.ended && !o.ended.byGuest ? 'qemu-system-x86_64: terminating on signal 9\n' : ''),
    quit: async () => {},
    kill: async () => {},
  };
  const g = new RunningGuest({ consoleLog, cmdline: '' }, 'tcg', dir, machine);
  if (o.sshDropped !== undefined) g.ssh = { dropped: o.sshDropped, close() {} } as unknown as GuestSsh;
  return g;
}

const PANIC =
  '[    5.0] Kernel panic - not syncing: sysrq triggered crash\n[    5.1] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\n';

t.test('QEMU killed from outside: an infrastructure loss naming the signal', async (t) => {
  const g = fakeGuest({ ended: { how: 'killed by signal SIGKILL', byGuest: false } });
  await new Promise((r) => setTimeout(r, 10));
  const loss = await g.infrastructureLoss(10);
  t.match(loss?.message, /^QEMU exited: killed by signal SIGKILL \(qemu-system-x86_64: terminating on signal 9\)/);
  t.equal(loss?.outcome, 'guest-lost');
  t.match(loss?.details, /--- qemu stderr ---/);
  await g.kill();
});

t.test('SSH dropped while QEMU runs and the console is clean: a loss, with the console tail', async (t) => {
  const g = fakeGuest({ sshDropped: 'read ECONNRESET' });
  const loss = await g.infrastructureLoss(10);
  t.match(loss?.message, /the SSH connection to the guest dropped while QEMU still runs \(read ECONNRESET\)/);
  t.match(loss?.details, /console tail/);
  await g.kill();
});

t.test("the kernel's own doing is no loss: a panic on the console, or a guest that powered itself off", async (t) => {
  const panicked = fakeGuest({ console: PANIC, ended: { how: 'exit code 0', byGuest: true }, sshDropped: 'closed' });
  await new Promise((r) => setTimeout(r, 10));
  t.equal(await panicked.infrastructureLoss(10), undefined);
  const hung = fakeGuest({ console: PANIC, sshDropped: 'closed' });
  t.equal(await hung.infrastructureLoss(10), undefined, "a panic with QEMU still up (no panic=-1) is the kernel's too");
  const off = fakeGuest({ ended: { how: 'exit code 0', byGuest: true } });
  await new Promise((r) => setTimeout(r, 10));
  t.equal(await off.infrastructureLoss(10), undefined);
  const hungGuest = fakeGuest({ sshDropped: 'Keepalive timeout' });
  t.equal(
    await hungGuest.infrastructureLoss(10),
    undefined,
    "a guest that stopped answering SSH keepalives has hung: the kernel's",
  );
  await hungGuest.kill();
  const alive = fakeGuest({});
  t.equal(await alive.infrastructureLoss(10), undefined, 'a running guest with SSH up: the check just failed');
  for (const g of [panicked, hung, off, alive]) await g.kill();
});

t.test(
  'a check that fails on a lost guest is ERROR with the cause; the scenario ends; later checks are ERROR',
  async (t) => {
    const g = fakeGuest({ ended: { how: 'killed by signal SIGKILL', byGuest: false } });
    await new Promise((r) => setTimeout(r, 10));
    const checks = new CheckRecorder('s');
    checks.watchGuest(() => g.infrastructureLoss(10));
    await checks.check('first', async () => 1);
    await t.rejects(
      checks.check('second', async () => {
        throw new Error('Not connected');
      }),
      /QEMU exited/,
    );
    await checks.always('cleanup', async () => 1);
    t.same(
      checks.records.map((r) => [r.name, r.status]),
      [
        ['first', 'PASS'],
        ['second', 'ERROR'],
        ['cleanup', 'ERROR'],
      ],
    );
    t.match(checks.records[1]!.log, /the check saw: Not connected/);
    t.match(checks.records[2]!.reason, /^not run: QEMU exited/);
    await g.kill();
  },
);
