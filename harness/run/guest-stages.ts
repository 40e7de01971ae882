import { InfraError } from '../util/errors.js';
import { raceAbort } from '../util/abort.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import type { GuestHandle } from '../vm/guest-handle.js';
import type { BootRequest } from '../vm/boot-guest.js';
import type { CheckRecorder } from '../suites/check-recorder.js';
import { sshOnDemand } from '../suites/scenario.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import type { LabKeys } from '../guest/lab-keys.js';
import { modprobeFailures } from '../guest/guest-protocol.js';
import type { ConsoleFinding } from '../results/console-watcher.js';
import type { StageClock } from './stage-clock.js';
import type { RunSummary } from './run-summary.js';
import { consoleRunSeconds, runCmdline, snapshotEligible, type KernelFit, type RunPlan } from './run-plan.js';
import type { MachineHost, RunOps } from './run-ops.js';
import { shareModules } from '../vm/shared-dir.js';
import { freshenRestored, LAB_WORKLOADS, restoreGuest, saveGuest } from './snapshot-stage.js';

/** What the stages share with the run: its clock, its checks, the summary they add facts to, its log. */
export interface RunState {
  clock: StageClock;
  checks: CheckRecorder;
  summary: RunSummary;
  log: (line: string) => void;
}

/** What an SSH guest boots with besides its kernel. */
export interface BootFiles {
  initrd?: string;
  rootDisk?: string;
  keys?: LabKeys;
  /** The key a root disk's sshd serves (the lab's dropbear key otherwise). */
  hostKey?: string;
}

/** What the boot stage hands the scenario stage. */
export interface Booted {
  guest: GuestHandle;
  /** Console mode: whether the guest ended itself in time. */
  ended?: boolean;
  /** SSH mode: connect (now, or on the scenario's first use when the boot script's output is read first). */
  ssh?: { connected?: GuestSsh; onDemand?: ReturnType<typeof sshOnDemand> };
}

/** Workloads, keys, the initramfs (with the boot script, if any) and a root disk for an SSH guest. */
export async function imageStage(
  plan: RunPlan,
  ops: RunOps,
  kernel: KernelArtifact,
  fit: KernelFit,
  bootScript: string | undefined,
  run: RunState,
): Promise<BootFiles> {
  const { suite } = plan;
  const { clock, summary } = run;
  const workloads = await clock.time('workloads', () =>
    ops.workloads([...new Set([...suite.workloads, ...LAB_WORKLOADS])]),
  );
  const keys = await ops.keys();
  const image = await clock.time(
    'image',
    () =>
      ops.initramfs({
        kernel,
        keys,
        modules: [...suite.modules, ...(fit.share ? shareModules(kernel.config, fit.share.fs) : [])],
        workloads,
        allModules: plan.kernel.kind !== 'debian',
        kselftestDir: kernel.kselftestDir,
        ...(bootScript !== undefined ? { bootScript } : {}),
      }),
    (i) => (i.cached ? 'cached' : i.damaged ? 'built again: the cached copy was damaged (hash mismatch)' : 'built'),
  );
  const rootfs =
    suite.image === 'initramfs'
      ? undefined
      : await clock.time(
          'rootfs',
          () => ops.rootfs(suite.image, keys),
          (r) => (r.cached ? 'cached' : 'built'),
        );
  summary.image = {
    ...image,
    ...(rootfs ? { rootfs: { path: rootfs.path, key: rootfs.key, cached: rootfs.cached } } : {}),
  };
  return { initrd: image.path, keys, ...(rootfs ? { rootDisk: rootfs.path, hostKey: rootfs.hostPublicKey } : {}) };
}

/**
 * The guest started: restored from its snapshot when there is one that loads, else booted until ready
 * (and then saved for later runs, when the boot was clean and the run may save).
 */
export async function startStage(
  plan: RunPlan,
  machine: MachineHost,
  kernel: KernelArtifact,
  fit: KernelFit,
  files: BootFiles & { kernel: string },
  bootScript: string | undefined,
  run: RunState & {
    /** Told of the guest as soon as it exists: whatever fails after, the run must stop it and read its console. */
    onGuest: (g: GuestHandle | undefined) => void;
  },
): Promise<{ booted: Booted; restored: boolean }> {
  const { suite, guest: guestSpec } = plan;
  const { clock, checks, summary, log } = run;
  const request: Omit<BootRequest, 'qemu'> = {
    guest: guestSpec,
    accel: machine.accel,
    kernel: files.kernel,
    extraCmdline: runCmdline(suite, fit, machine.accel),
    ...(fit.mode === 'console' ? { consoleOnly: true } : {}),
    initrd: files.initrd,
    rootDisk: files.rootDisk,
    onFinding: (f: ConsoleFinding) => log(`  console: ${f.kind}: ${f.title}`),
    ...(plan.keepGuest !== undefined ? { keepable: true } : {}),
    ...(fit.share ? { share: fit.share } : {}),
  };
  let booted: Booted | undefined;
  const started = (guest: GuestHandle) => {
    booted = { guest };
    run.onGuest(guest);
    summary.guest = {
      ...summary.guest!,
      cmdline: guest.plan.cmdline,
      argv: guest.plan.argv,
      domainXml: guest.plan.domainXml,
    };
  };
  const snapshots = snapshotEligible(plan, fit, bootScript) ? machine.snapshots : undefined;
  const key = snapshots ? await snapshots.key(request) : undefined;
  const snap = key ? snapshots!.find(key) : undefined;
  if (snap) {
    const restored = await clock.time(
      'restore',
      () =>
        restoreGuest({
          snap,
          snapshots: snapshots!,
          boot: (req) => machine.boot(req),
          request,
          timeoutMs: guestSpec.boot_timeout * 1000,
          onGuest: (g) => (g ? started(g) : run.onGuest(undefined)),
        }),
      (r) => (r.guest ? `from snapshot ${snap.meta.key}` : r.note),
    );
    summary.snapshot = { key: key!, ...(restored.guest ? { restoredFrom: snap.dir } : { note: restored.note }) };
    if (restored.guest) {
      checks.watchGuest(() => restored.guest!.infrastructureLoss());
      if (snap.meta.release !== kernel.release) {
        const why = `the snapshot's guest runs ${snap.meta.release}, expected ${kernel.release}`;
        throw new InfraError(why, undefined, 'boot-failed');
      }
      return { booted: booted!, restored: true };
    }
  }
  const note =
    fit.mode === 'console'
      ? 'console only, until kunit_shutdown'
      : bootScript !== undefined
        ? 'until the boot script starts'
        : undefined;
  await clock.time(
    'boot',
    async () => {
      const guest = await machine.boot(request);
      started(guest);
      if (fit.mode === 'console') booted!.ended = await waitConsoleRun(guest, plan, kernel);
      else await waitReady(guest, plan, kernel, bootScript, run);
    },
    () => note,
  );
  // Saved at the ready point, before the run touches it, when the boot was clean: later runs start here.
  if (key && plan.snapshots === 'on' && !booted!.guest.watcher.findings.length) {
    const saved = await clock.time(
      'save',
      () => saveGuest({ guest: booted!.guest, snapshots: snapshots!, key, release: kernel.release }),
      (s) => (s ? `snapshot ${key}, ${(s.meta.bytes / 1048576).toFixed(0)} MiB` : 'another run saved it first'),
    );
    summary.snapshot = { ...summary.snapshot, key, saved: saved !== undefined };
  }
  return { booted: booted!, restored: false };
}

/** A console guest: until it ends itself (false: it did not in time), and it ran the kernel built. */
async function waitConsoleRun(guest: GuestHandle, plan: RunPlan, kernel: KernelArtifact): Promise<boolean> {
  const ended = await guest.waitConsoleRun(consoleRunSeconds(plan.guest, plan.suite) * 1000);
  const lost = ended ? await guest.infrastructureLoss() : undefined;
  if (lost) throw lost;
  const release = /Linux version (\S+)/.exec(guest.consoleText())?.[1];
  if (release !== kernel.release) {
    throw guest.bootFailure(
      release ? `guest ran kernel ${release}, expected ${kernel.release}` : 'the kernel printed nothing on the console',
    );
  }
  return ended;
}

/** An SSH guest: until its init is ready (or its boot script starts), running the kernel built. */
async function waitReady(
  guest: GuestHandle,
  plan: RunPlan,
  kernel: KernelArtifact,
  bootScript: string | undefined,
  run: RunState,
): Promise<void> {
  run.checks.watchGuest(() => guest.infrastructureLoss());
  const until = bootScript !== undefined ? 'boot-script' : 'ssh';
  const release = await raceAbort(guest.waitReady(plan.guest.boot_timeout * 1000, until));
  if (release !== kernel.release) {
    throw new InfraError(`guest runs kernel ${release}, expected ${kernel.release}`, undefined, 'boot-failed');
  }
  // A module init was asked to load and could not: said, not silent (a suite that needs it fails later).
  const notLoaded = modprobeFailures(guest.consoleTail(400));
  if (notLoaded.length) run.log(`  modules that did not load at boot: ${notLoaded.join(', ')}`);
}

/**
 * SSH to the guest: now, or (a run with boot work) on the scenario's first use. A restored guest's first
 * command sets its clock and reseeds its CRNG.
 */
export async function sshStage(
  plan: RunPlan,
  started: { booted: Booted; restored: boolean },
  files: BootFiles,
  bootScript: string | undefined,
  run: RunState,
): Promise<Booted> {
  const { booted } = started;
  const connect = () => booted.guest.connectSsh(files.keys!, 15000, files.hostKey);
  const onDemand =
    bootScript !== undefined
      ? sshOnDemand(() => raceAbort(booted.guest.waitReady(plan.guest.boot_timeout * 1000)).then(connect))
      : undefined;
  const connected = onDemand
    ? undefined
    : await run.clock.time('ssh', async () => {
        const ssh = await connect();
        if (started.restored) await freshenRestored(ssh);
        return ssh;
      });
  booted.ssh = { ...(connected ? { connected } : {}), ...(onDemand ? { onDemand } : {}) };
  return booted;
}
