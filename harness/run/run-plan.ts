import type { SuiteSpec } from '../schema/suite.js';
import type { GuestSpec } from '../schema/guest.js';
import type { SeriesSpec } from '../schema/series.js';
import type { HostSpec } from '../schema/lab-config.js';
import type { Scenario } from '../suites/scenario.js';
import type { KernelConfig } from '../kernel/kconfig.js';
import { sshUnreachableReason, unmetRequirements } from '../kernel/kconfig.js';
import { inKernelDamonUsers, keepOffCmdline, type InKernelDamonUser } from '../damon/in-kernel-users.js';
import type { Accel } from '../vm/machine-plan.js';
import { shareCmdline, shareFsFor, type ShareRequest, type SharedDir } from '../vm/shared-dir.js';
import { UsageError } from '../util/errors.js';

/** Which kernel a run boots. */
export type KernelChoice =
  /** A Debian prebuilt kernel by id (debian-6.12, debian-7.2, ...); none: the guest's, else the default. */
  | { kind: 'debian'; id?: string }
  | { kind: 'series'; series: string; tree?: string }
  /** A kernel this process just built (bisect steps, matrix cells): its artifact, with no second lookup. */
  | { kind: 'built'; artifactDir: string; series: string }
  | { kind: 'prebuilt'; path: string; modules?: string; kconfig?: string };

/** Everything a run needs decided before anything starts: the files read, the names chosen. */
export interface RunPlan {
  runId: string;
  reportDir: string;
  suite: SuiteSpec;
  guest: GuestSpec;
  scenario: Scenario;
  kernel: KernelChoice;
  /** The series the kernel is built from (series and built kernels). */
  series?: { spec: SeriesSpec; file: string };
  /** A libvirt host of the lab config; none: QEMU on this machine. */
  host?: HostSpec;
  /** Stop the guest at once after the suite (QMP quit): runs that only want a verdict. */
  quickStop: boolean;
  /** Keep the guest's run dir (QMP socket, console) after the run. */
  keep: boolean;
  /**
   * Saved booted guests: 'on' restores one when there is one and saves one after a boot; 'restore-only'
   * never saves (a bisect step's kernel is new each time); 'off' always boots (--no-snapshot).
   */
  snapshots: 'on' | 'restore-only' | 'off';
  /** Leave the guest running under this name after the suite (`--keep-guest`, `lab up`) instead of stopping it. */
  keepGuest?: string;
  /** A host directory the guest sees at the same path (`--share`, QEMU on this machine only). */
  share?: ShareRequest;
  /** Measure the guest after the suite (its memory in use, summary.guestMemUsedMiB): `lab ab` asks. */
  measureGuest?: boolean;
}

/** What a kernel must have built in to mount a rootfs image as its root disk (kernel/configs/rootfs.config). */
const ROOTFS_KERNEL_CONFIG = { CONFIG_BLOCK: 'y', CONFIG_VIRTIO_BLK: 'y', CONFIG_EXT4_FS: 'y' } as const;

/** How the suite meets the kernel: how the guest is reached, what it lacks, what the command line adds. */
export interface KernelFit {
  /** 'console': no init, no network; the kernel runs its KUnit suites at boot and ends itself. */
  mode: 'console' | 'ssh';
  /** Why the kernel cannot be reached over SSH (console mode). */
  consoleReason?: string;
  /** What the suite needs and the kernel lacks: every check is SKIP with these. */
  unmet: string[];
  damonUsers: InKernelDamonUser[];
  /** Words that keep DAMON's in-kernel users off, for a suite that needs DAMON to itself. */
  keepOff: string[];
  /** The run's share with the transport this kernel mounts. */
  share?: SharedDir;
}

/**
 * Pure: reads the kernel's config against the suite (and the share asked for: a kernel that cannot mount it, or has
 * no init to, is the user's error, not a skip).
 */
export function kernelFit(
  config: KernelConfig,
  suite: SuiteSpec,
  scenario: Pick<Scenario, 'console'>,
  share?: ShareRequest,
): KernelFit {
  const consoleReason = sshUnreachableReason(config);
  const fs = share ? shareFsFor(config) : undefined;
  if (share && consoleReason)
    throw new UsageError(`--share ${share.dir}: ${consoleReason}, with no init to mount a share`);
  if (share && fs && 'missing' in fs)
    throw new UsageError(
      `--share ${share.dir}: ${fs.missing}`,
      'build the kernel with CONFIG_VIRTIO_FS=y (the lab base config has it), or 9p: CONFIG_NET_9P_VIRTIO and CONFIG_9P_FS',
    );
  const damonUsers = inKernelDamonUsers(config);
  const rootfsNeeds =
    suite.image === 'initramfs'
      ? []
      : unmetRequirements(config, ROOTFS_KERNEL_CONFIG).map(
          (u) => `${u} (built in, for the ${suite.image} root disk: add the rootfs fragment to the series' configs)`,
        );
  const sshNeeded =
    consoleReason && !scenario.console
      ? [
          `${consoleReason}, and suite ${suite.name} needs SSH (on such a kernel only console suites run, e.g. damon-kunit)`,
        ]
      : [];
  return {
    mode: consoleReason ? 'console' : 'ssh',
    ...(consoleReason ? { consoleReason } : {}),
    unmet: [...unmetRequirements(config, suite.kernel_config), ...rootfsNeeds, ...sshNeeded],
    damonUsers,
    keepOff: suite.damon_exclusive ? keepOffCmdline(damonUsers) : [],
    ...(share && fs && 'fs' in fs ? { share: { ...share, fs: fs.fs } } : {}),
  };
}

/**
 * Pure: the kernel command line words the run adds to the guest's. A console run reboots when KUnit is
 * done (QEMU's -no-reboot ends it); a TCG run of a suite that asks for it churns the TLB in the background.
 */
export function runCmdline(suite: SuiteSpec, fit: KernelFit, accel: Accel): string[] {
  return [
    ...suite.cmdline,
    ...fit.keepOff,
    ...(fit.mode === 'console' ? ['kunit_shutdown=reboot'] : []),
    ...(fit.mode === 'ssh' && accel === 'tcg' && suite.tlb_churn ? ['lab.tlb_churn'] : []),
    ...(fit.share ? shareCmdline(fit.share) : []),
  ];
}

/**
 * Pure: whether this run may start from (and save) a booted guest: an SSH guest on an initramfs that does
 * nothing per run at boot. A boot script is the run's own work, a root disk's overlay is not in the saved
 * state, a console run has nothing to restore to, and QEMU 7.2 cannot migrate a shared directory's device
 * (vhost-user-fs is unmigratable; 9p blocks migration while mounted).
 */
export function snapshotEligible(
  plan: Pick<RunPlan, 'snapshots' | 'suite' | 'share'>,
  fit: KernelFit,
  bootScript: string | undefined,
): boolean {
  return (
    plan.snapshots !== 'off' &&
    fit.mode === 'ssh' &&
    bootScript === undefined &&
    plan.suite.image === 'initramfs' &&
    plan.share === undefined
  );
}

/** Pure: how long a console run may take to end itself: it boots and runs its suites in one go. */
export function consoleRunSeconds(guest: GuestSpec, suite: SuiteSpec): number {
  return guest.boot_timeout + suite.timeout;
}
