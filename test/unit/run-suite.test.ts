// The run's orchestration with every side effect swapped for a fake (RunOps, GuestHandle): what runs in
// which order, what the guest is booted with, and what outcome each failure becomes. No QEMU, make or apt.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeRun } from '../../harness/run/run-suite.js';
import { kernelFit, runCmdline, type RunPlan } from '../../harness/run/run-plan.js';
import { collectResults } from '../../harness/run/run-results.js';
import type { MachineHost, RunOps } from '../../harness/run/run-ops.js';
import type { GuestHandle } from '../../harness/vm/guest-handle.js';
import type { SnapshotOps } from '../../harness/run/snapshot-stage.js';
import type { Snapshot } from '../../harness/vm/snapshot-store.js';
import type { BootRequest } from '../../harness/vm/boot-guest.js';
import type { GuestSsh } from '../../harness/guest/ssh-session.js';
import type { Scenario } from '../../harness/suites/scenario.js';
import type { ConsoleFinding } from '../../harness/results/console-watcher.js';
import { parseKernelConfig } from '../../harness/kernel/kconfig.js';
import type { KernelArtifact } from '../../harness/kernel/kernel-artifact.js';
import { SuiteSpecSchema } from '../../harness/schema/suite.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { InfraError, InterruptedError, LabError } from '../../harness/util/errors.js';
import { readCapabilities } from '../../harness/local-host/capabilities.js';

const SSH_CONFIG = [
  'CONFIG_NET=y',
  'CONFIG_INET=y',
  'CONFIG_VIRTIO_PCI=y',
  'CONFIG_VIRTIO_NET=y',
  'CONFIG_BLK_DEV_INITRD=y',
  'CONFIG_DAMON=y',
];

function kernelWith(lines: string[]): KernelArtifact {
  const dir = mkdtempSync(join(tmpdir(), 'lab-run-test-'));
  const configPath = join(dir, 'config');
  writeFileSync(configPath, lines.join('\n') + '\n');
  return {
    release: '7.2.0-lab',
    source: 'test',
    vmlinuz: join(dir, 'vmlinuz'),
    modulesRoot: dir,
    configPath,
    config: parseKernelConfig(lines.join('\n')),
  };
}

/** A guest that boots, answers and stops as told, recording what was asked of it. */
class FakeGuest implements GuestHandle {
  readonly watcher: { findings: ConsoleFinding[] } = { findings: [] };
  readonly calls: string[] = [];
  readonly execs: string[] = [];
  readonly plan;
  readonly runDir: string;
  constructor(
    readonly req: Omit<BootRequest, 'qemu'>,
    private readonly o: FakeBehaviour,
    dir: string,
  ) {
    this.runDir = mkdtempSync(join(dir, 'run-'));
    const consoleLog = join(this.runDir, 'console.log');
    writeFileSync(consoleLog, o.console ?? 'Linux version 7.2.0-lab (test)\n');
    this.plan = { consoleLog, cmdline: ['console=ttyS0', ...(req.extraCmdline ?? [])].join(' '), argv: ['qemu-fake'] };
  }
  consoleText = () => readFileSync(this.plan.consoleLog, 'utf8');
  consoleTail = () => this.consoleText();
  async waitReady(): Promise<string> {
    this.calls.push('waitReady');
    if (this.o.bootFails) throw this.bootFailure('guest did not come up within 1 s (boot_timeout)');
    return this.o.release ?? '7.2.0-lab';
  }
  async waitBootScript() {
    return true;
  }
  async waitConsoleRun() {
    this.calls.push('waitConsoleRun');
    return this.o.consoleEnds ?? true;
  }
  bootFailure(what: string) {
    return new InfraError(what, 'console tail', 'boot-failed');
  }
  async infrastructureLoss() {
    return this.o.lost ? new InfraError('QEMU exited: killed by signal SIGKILL', undefined, 'guest-lost') : undefined;
  }
  async connectSsh(): Promise<GuestSsh> {
    this.calls.push('connectSsh');
    if (this.o.restoredDies && this.req.restore)
      throw new InfraError('QEMU ended before SSH answered (exit code 0)', 'Kernel panic', 'boot-failed');
    const exec = async (script: string) => {
      this.execs.push(script);
      return { code: 0, stdout: '', stderr: '' };
    };
    return { exec } as unknown as GuestSsh;
  }
  async saveState(file: string) {
    this.calls.push('saveState');
    writeFileSync(file, 'saved guest');
  }
  async waitRestored() {
    this.calls.push('waitRestored');
    if (this.o.restoreFails) throw this.bootFailure('QEMU could not restore the saved guest (exit code 1)');
  }
  async shutdown() {
    this.calls.push('shutdown');
    return 'poweroff' as const;
  }
  async kill() {
    this.calls.push('kill');
  }
  removeRunDir() {
    this.calls.push('removeRunDir');
  }
  keepRunDir() {
    this.calls.push('keepRunDir');
  }
}

interface FakeBehaviour {
  bootFails?: boolean;
  lost?: boolean;
  release?: string;
  console?: string;
  consoleEnds?: boolean;
  accel?: 'kvm' | 'tcg';
  restoreFails?: boolean;
  /** A restored guest loads, then dies before SSH answers (a snapshot whose state does not run). */
  restoredDies?: boolean;
  /** A snapshot store for the machine (in a temp folder): snapshots are on. */
  snapshots?: SnapshotOps;
}

/** A snapshot store kept in memory, recording what was asked of it; `tampered` makes every hash check fail. */
function memorySnapshots(o: { tampered?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lab-run-snap-'));
  const saved = new Map<string, Snapshot>();
  const log: string[] = [];
  const ops: SnapshotOps = {
    async key(req) {
      return `k-${req.extraCmdline?.join('_') ?? ''}`;
    },
    find: (key) => saved.get(key),
    stage: (key) => ({ dir: join(dir, `.${key}`), state: join(dir, `${key}.state`) }),
    async publish(staged, m) {
      writeFileSync(join(dir, `${m.key}.console`), m.bootConsole);
      const s = {
        dir: join(dir, m.key),
        state: staged.state,
        consoleLog: join(dir, `${m.key}.console`),
        meta: { key: m.key, release: m.release, bytes: 11, sha256: 'x', createdAt: '', qemu: 'q' },
      };
      saved.set(m.key, s);
      log.push(`publish ${m.key}`);
      return s;
    },
    drop: (s) => {
      saved.delete(s.meta.key);
      log.push(`drop ${s.meta.key}`);
    },
    intact: async () => !o.tampered,
  };
  return { ops, saved, log };
}

function fakeOps(kernel: KernelArtifact, behaviour: FakeBehaviour = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lab-run-guest-'));
  const seen: { ops: string[]; guests: FakeGuest[]; closed: number } = { ops: [], guests: [], closed: 0 };
  const machine: MachineHost = {
    accel: behaviour.accel ?? 'tcg',
    accelReason: 'KVM unusable: test',
    capabilities: readCapabilities('vendor_id\t: GenuineIntel\nflags\t\t: fpu\n', ['cpu'], {}, undefined),
    async boot(req) {
      const g = new FakeGuest(req, behaviour, dir);
      seen.guests.push(g);
      return g;
    },
    async close() {
      seen.closed++;
    },
    ...(behaviour.snapshots ? { snapshots: behaviour.snapshots } : {}),
  };
  const ops: RunOps = {
    async ensurePackages(which) {
      seen.ops.push(`packages:${which}`);
      return [];
    },
    async kernel() {
      seen.ops.push('kernel');
      return kernel;
    },
    async machineHost() {
      seen.ops.push('machineHost');
      return machine;
    },
    async workloads(names) {
      seen.ops.push(`workloads:${names.join(',')}`);
      return Object.fromEntries(names.map((n) => [n, `/w/${n}`]));
    },
    async keys() {
      return { privateKey: 'k', publicKey: 'p', hostPublicKey: 'h' } as never;
    },
    async initramfs() {
      seen.ops.push('initramfs');
      return { path: '/i/initrd.cpio', key: 'abc', cached: true };
    },
    async rootfs() {
      throw new Error('no rootfs in these tests');
    },
    async bootable(k) {
      seen.ops.push('bootable');
      return { path: k.vmlinuz, pvh: true };
    },
  };
  return { ops, seen };
}

function planFor(
  scenario: Scenario,
  suite: Record<string, unknown> = {},
  guest: Record<string, unknown> = {},
): RunPlan {
  const runId = `test-${Math.random().toString(36).slice(2)}`;
  return {
    runId,
    reportDir: join(mkdtempSync(join(tmpdir(), 'lab-run-report-')), runId),
    suite: SuiteSpecSchema.parse({ name: 'fake-suite', scenario: 'fake', ...suite }),
    guest: GuestSpecSchema.parse({ name: 'g', boot_timeout: 5, ...guest }),
    scenario,
    kernel: { kind: 'debian' },
    quickStop: false,
    keep: false,
    snapshots: 'on',
  };
}

const passing = (names = ['a', 'b']): Scenario => ({
  checks: names,
  async run(ctx) {
    for (const n of names) await ctx.checks.check(n, async () => {});
  },
});

t.test(
  'an SSH run: stages in order, one boot, every check reported, report written, guest stopped and removed',
  async (t) => {
    const { ops, seen } = fakeOps(kernelWith(SSH_CONFIG));
    const plan = planFor(passing(), { workloads: ['hotcold'] });
    const { summary, reportDir } = await executeRun(plan, ops, () => {});
    t.same(
      summary.stages.map((s) => s.stage),
      ['setup', 'kernel', 'accel', 'workloads', 'image', 'vmlinux', 'boot', 'ssh', 'suite', 'shutdown'],
    );
    t.equal(seen.guests.length, 1);
    const g = seen.guests[0]!;
    t.notOk(g.req.consoleOnly);
    t.equal(g.req.initrd, '/i/initrd.cpio');
    t.ok(g.req.extraCmdline?.includes('lab.tlb_churn'), 'TCG with tlb_churn: churn on');
    t.same(g.calls, ['waitReady', 'connectSsh', 'shutdown', 'removeRunDir']);
    t.ok(seen.ops.includes('workloads:hotcold,tlb-churn,reseed'));
    t.equal(seen.closed, 1, 'the machine host is closed');
    t.same(
      summary.tests.map((x) => [x.name, x.status]),
      [
        ['a', 'PASS'],
        ['b', 'PASS'],
        ['console_clean', 'PASS'],
      ],
    );
    t.equal(summary.outcome, 'ok');
    t.equal(summary.status, 'PASS');
    t.equal(summary.guest?.accel, 'tcg');
    t.equal(summary.guest?.shutdown, 'poweroff');
    const onDisk = JSON.parse(readFileSync(join(reportDir, 'summary.json'), 'utf8'));
    t.equal(onDisk.outcome, 'ok');
    t.ok(existsSync(join(reportDir, 'report.html')) && existsSync(join(reportDir, 'junit.xml')));
  },
);

t.test('a console-only kernel: no image, no SSH; booted until it ends itself with kunit_shutdown', async (t) => {
  const { ops, seen } = fakeOps(kernelWith(['CONFIG_KUNIT=y']));
  const scenario: Scenario = { ...passing(['kunit']), console: true };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.same(
    summary.stages.map((s) => s.stage),
    ['setup', 'kernel', 'accel', 'vmlinux', 'boot', 'suite', 'shutdown'],
  );
  const g = seen.guests[0]!;
  t.equal(g.req.consoleOnly, true);
  t.notOk(g.req.initrd);
  t.ok(g.req.extraCmdline?.includes('kunit_shutdown=reboot'));
  t.notOk(g.req.extraCmdline?.includes('lab.tlb_churn'));
  t.same(g.calls, ['waitConsoleRun', 'shutdown', 'removeRunDir']);
  t.equal(summary.outcome, 'ok');
});

t.test('a console-only guest that never ends: the suite timed out (test-failed), unreported tests MISS', async (t) => {
  const { ops } = fakeOps(kernelWith(['CONFIG_KUNIT=y']), { consoleEnds: false });
  const scenario: Scenario = { checks: ['kunit'], console: true, async run() {} };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.equal(summary.outcome, 'test-failed');
  t.match(summary.error?.message, /did not end within boot_timeout/);
  t.same(summary.tests.find((x) => x.name === 'kunit')?.status, 'ERROR');
});

t.test('a suite the kernel cannot serve: every check SKIP with the reason, nothing booted', async (t) => {
  const { ops, seen } = fakeOps(kernelWith(['CONFIG_KUNIT=y']));
  const { summary } = await executeRun(planFor(passing()), ops, () => {});
  t.equal(seen.guests.length, 0);
  t.notOk(seen.ops.includes('machineHost'), 'no host probed for a suite that cannot run');
  t.ok(summary.tests.every((x) => x.status === 'SKIP'));
  t.match(summary.tests[0]?.reason, /needs SSH/);
  t.equal(summary.outcome, 'ok');
});

t.test('host requirements unmet (KVM under TCG): SKIP naming the reason, nothing booted', async (t) => {
  const { ops, seen } = fakeOps(kernelWith(SSH_CONFIG));
  const { summary } = await executeRun(planFor(passing(), { requires: ['kvm'] }), ops, () => {});
  t.equal(seen.guests.length, 0);
  t.ok(summary.tests.every((x) => x.status === 'SKIP'));
  t.match(summary.tests[0]?.reason, /KVM/);
});

t.test('a boot failure: outcome boot-failed, planned checks ERROR (never PASS), the guest still stopped', async (t) => {
  const { ops, seen } = fakeOps(kernelWith(SSH_CONFIG), { bootFails: true });
  const { summary } = await executeRun(planFor(passing()), ops, () => {});
  t.equal(summary.outcome, 'boot-failed');
  t.same(
    summary.tests.map((x) => x.status),
    ['ERROR', 'ERROR', 'ERROR'],
  );
  t.match(summary.tests.find((x) => x.name === 'console_clean')?.reason, /not judged/);
  t.same(seen.guests[0]!.calls, ['waitReady', 'shutdown', 'removeRunDir']);
  t.ok(summary.stages.some((s) => s.stage === 'boot' && /failed/.test(s.note ?? '')));
});

t.test('a guest lost to the host mid-suite: outcome guest-lost whatever the scenario threw', async (t) => {
  const { ops } = fakeOps(kernelWith(SSH_CONFIG), { lost: true });
  const scenario: Scenario = {
    checks: ['a'],
    async run() {
      throw new Error('ECONNRESET');
    },
  };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.equal(summary.outcome, 'guest-lost');
  t.match(summary.error?.message, /QEMU exited/);
});

t.test("a bug in a scenario is the lab's (infrastructure, with the stack), never a test failure", async (t) => {
  const { ops } = fakeOps(kernelWith(SSH_CONFIG));
  const scenario: Scenario = {
    checks: ['a'],
    async run() {
      throw new TypeError('x is undefined');
    },
  };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.equal(summary.outcome, 'infrastructure');
  t.match(summary.error?.message, /internal error: TypeError: x is undefined/);
});

t.test('interrupted: the guest is killed, not powered off; outcome interrupted', async (t) => {
  const { ops, seen } = fakeOps(kernelWith(SSH_CONFIG));
  const scenario: Scenario = {
    checks: ['a'],
    async run() {
      throw new InterruptedError('SIGINT');
    },
  };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.equal(summary.outcome, 'interrupted');
  t.same(seen.guests[0]!.calls, ['waitReady', 'connectSsh', 'kill', 'removeRunDir']);
});

t.test('a guest running another kernel than built: boot-failed naming both releases', async (t) => {
  const { ops } = fakeOps(kernelWith(SSH_CONFIG), { release: '6.1.0-other' });
  const { summary } = await executeRun(planFor(passing()), ops, () => {});
  t.equal(summary.outcome, 'boot-failed');
  t.match(summary.error?.message, /guest runs kernel 6\.1\.0-other, expected 7\.2\.0-lab/);
});

t.test('a failing check: test-failed; the kernel error stops nothing else', async (t) => {
  const { ops } = fakeOps(kernelWith(SSH_CONFIG));
  const scenario: Scenario = {
    checks: ['a'],
    async run(ctx) {
      await ctx.checks.check('a', async () => {
        throw new Error('wrong value');
      });
    },
  };
  const { summary } = await executeRun(planFor(scenario), ops, () => {});
  t.equal(summary.outcome, 'test-failed');
  t.equal(summary.status, 'FAIL');
});

t.test(
  "kernelFit and runCmdline: DAMON's in-kernel users kept off for an exclusive suite; KVM gets no TLB churn",
  async (t) => {
    const suite = SuiteSpecSchema.parse({ name: 's', scenario: 's' });
    const config = parseKernelConfig(
      [...SSH_CONFIG, 'CONFIG_DAMON_STAT=y', 'CONFIG_DAMON_STAT_ENABLED_DEFAULT=y'].join('\n'),
    );
    const fit = kernelFit(config, suite, {});
    t.equal(fit.mode, 'ssh');
    t.same(fit.keepOff, ['damon_stat.enabled=N']);
    t.same(runCmdline(suite, fit, 'tcg'), ['damon_stat.enabled=N', 'lab.tlb_churn']);
    t.same(runCmdline(suite, fit, 'kvm'), ['damon_stat.enabled=N']);
    const shared = kernelFit(config, SuiteSpecSchema.parse({ name: 's', scenario: 's', damon_exclusive: false }), {});
    t.same(shared.keepOff, []);
    const rootfs = kernelFit(config, SuiteSpecSchema.parse({ name: 's', scenario: 's', image: 'debian' }), {});
    t.match(rootfs.unmet.join('\n'), /CONFIG_VIRTIO_BLK.*root disk/);
  },
);

t.test('collectResults: MISS without an error, ERROR with one, console findings fail console_clean', async (t) => {
  const missed = collectResults({ suite: 's', planned: ['a'], recorded: [], findings: [] });
  t.same([missed.tests[0]?.status, missed.outcome], ['MISS', 'test-failed']);
  const err = new LabError('boom', 'build-failed');
  const failed = collectResults({ suite: 's', planned: ['a'], recorded: [], runError: err });
  t.same([failed.tests[0]?.status, failed.outcome], ['ERROR', 'build-failed']);
  t.equal(failed.tests.length, 1, 'no guest: no console verdict');
  const finding = { kind: 'oops', title: 'BUG: kernel NULL pointer dereference', excerpt: 'Oops' } as ConsoleFinding;
  const oops = collectResults({ suite: 's', planned: [], recorded: [], findings: [finding] });
  t.same([oops.tests[0]?.status, oops.outcome], ['FAIL', 'test-failed']);
});

t.test(
  'snapshots: the first run boots and saves at the ready point; the next restores, refreshes clock and seed, and never boots',
  async (t) => {
    const store = memorySnapshots();
    const kernel = kernelWith(SSH_CONFIG);
    const first = fakeOps(kernel, { snapshots: store.ops });
    const a = await executeRun(planFor(passing()), first.ops, () => {});
    t.same(
      a.summary.stages.map((s) => s.stage),
      ['setup', 'kernel', 'accel', 'workloads', 'image', 'vmlinux', 'boot', 'save', 'ssh', 'suite', 'shutdown'],
    );
    t.same(
      first.seen.guests[0]!.calls,
      ['waitReady', 'saveState', 'connectSsh', 'shutdown', 'removeRunDir'],
      'saved before SSH touches it',
    );
    t.same(a.summary.snapshot, { key: 'k-lab.tlb_churn', saved: true });
    t.same(store.log, ['publish k-lab.tlb_churn']);

    const second = fakeOps(kernel, { snapshots: store.ops });
    const b = await executeRun(planFor(passing()), second.ops, () => {});
    t.same(
      b.summary.stages.map((s) => s.stage),
      ['setup', 'kernel', 'accel', 'workloads', 'image', 'vmlinux', 'restore', 'ssh', 'suite', 'shutdown'],
    );
    const g = second.seen.guests[0]!;
    t.ok(g.req.restore, 'started from the saved state');
    t.same(g.calls, ['waitRestored', 'connectSsh', 'shutdown', 'removeRunDir']);
    t.match(
      g.execs[0],
      /^date -s @\d+ .*base64 -d \| reseed$/,
      'the first command sets the clock and mixes in randomness',
    );
    t.equal(b.summary.snapshot?.restoredFrom, store.saved.get('k-lab.tlb_churn')!.dir);
    t.equal(b.summary.outcome, 'ok');
    t.same(
      b.summary.tests.map((x) => x.status),
      ['PASS', 'PASS', 'PASS'],
    );
  },
);

t.test(
  'snapshots: one that does not restore, or whose file changed, is deleted and the run boots (and says so)',
  async (t) => {
    for (const [what, store, behaviour] of [
      ['QEMU cannot load it', memorySnapshots(), { restoreFails: true }],
      ['its hash does not match', memorySnapshots({ tampered: true }), {}],
    ] as const) {
      const kernel = kernelWith(SSH_CONFIG);
      await executeRun(planFor(passing()), fakeOps(kernel, { snapshots: store.ops }).ops, () => {});
      const again = fakeOps(kernel, { ...behaviour, snapshots: store.ops });
      const r = await executeRun(planFor(passing()), again.ops, () => {});
      t.equal(again.seen.guests.length, 2, `${what}: a restored guest, then a booted one`);
      t.same(
        again.seen.guests[0]!.calls,
        ['waitRestored', 'kill', 'removeRunDir'],
        `${what}: the failed restore is stopped and removed`,
      );
      t.ok(store.log.includes('drop k-lab.tlb_churn'), `${what}: the snapshot is deleted`);
      t.match(r.summary.snapshot?.note, /did not restore .*deleted, booted instead/);
      t.ok(r.summary.stages.some((s) => s.stage === 'boot'));
      t.equal(r.summary.outcome, 'ok', `${what}: the run itself passes`);
    }
  },
);

t.test(
  'snapshots: one that loads but whose guest dies before SSH answers is deleted, the run boots and saves anew',
  async (t) => {
    const store = memorySnapshots();
    const kernel = kernelWith(SSH_CONFIG);
    await executeRun(planFor(passing()), fakeOps(kernel, { snapshots: store.ops }).ops, () => {});
    const again = fakeOps(kernel, { restoredDies: true, snapshots: store.ops });
    const lines: string[] = [];
    const plan = planFor(passing());
    const r = await executeRun(plan, again.ops, (l) => lines.push(l));
    t.equal(again.seen.guests.length, 2, 'a restored guest, then a booted one');
    t.same(again.seen.guests[0]!.calls, ['waitRestored', 'connectSsh', 'kill', 'removeRunDir']);
    t.same(again.seen.guests[1]!.calls, ['waitReady', 'saveState', 'connectSsh', 'shutdown', 'removeRunDir']);
    t.same(store.log, ['publish k-lab.tlb_churn', 'drop k-lab.tlb_churn', 'publish k-lab.tlb_churn'], 'saved anew');
    t.match(r.summary.snapshot?.note, /restored, but its guest did not answer \(QEMU ended before SSH answered/);
    t.equal(r.summary.snapshot?.saved, true);
    t.ok(existsSync(join(plan.reportDir, 'restore-console.log')), "the dead guest's console is kept");
    t.ok(lines.some((l) => /the restored guest did not answer .*booting instead/.test(l)));
    t.equal(r.summary.outcome, 'ok', 'the run itself passes: a bad snapshot is not a test failure');
    t.same(
      r.summary.tests.map((x) => x.status),
      ['PASS', 'PASS', 'PASS'],
    );
  },
);

t.test(
  'snapshots: none for --no-snapshot, a console run, a root disk or a boot script; restore-only never saves',
  async (t) => {
    const kernel = kernelWith(SSH_CONFIG);
    for (const [what, plan] of [
      ['off', { ...planFor(passing()), snapshots: 'off' as const }],
      ['root disk', planFor(passing(), { image: 'debian' })],
      ['boot script', planFor({ ...passing(), atBoot: () => 'echo hi' })],
      ['restore-only', { ...planFor(passing()), snapshots: 'restore-only' as const }],
    ] as const) {
      const store = memorySnapshots();
      const { ops } = fakeOps(kernel, { snapshots: store.ops });
      const r = await executeRun(plan, ops, () => {});
      t.same(store.log, [], `${what}: nothing saved`);
      t.notOk(
        r.summary.stages.some((s) => s.stage === 'save'),
        what,
      );
    }
  },
);
