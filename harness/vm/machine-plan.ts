import type { GuestSpec } from '../schema/guest.js';
import type { SharedDir } from './shared-dir.js';

export type Accel = 'kvm' | 'tcg';

/**
 * Kernel arguments every lab guest gets, and why:
 * - console=ttyS0: the serial console is the log the watcher reads;
 * - panic=-1 with QEMU's -no-reboot: a panic ends QEMU at once instead of hanging until the boot timeout;
 * - mitigations=off, no_timer_check, tsc=reliable: speed and fewer spurious clocksource complaints under TCG;
 * - 8250.nr_uarts=1: skip probing serial ports the machine does not have.
 */
export const BASE_CMDLINE = [
  'console=ttyS0',
  'panic=-1',
  'mitigations=off',
  'no_timer_check',
  'tsc=reliable',
  '8250.nr_uarts=1',
  'random.trust_cpu=on',
];

/**
 * One guest machine, decided once from the guest spec and the run's boot files: what QEMU's argv
 * (qemu-argv.ts) and libvirt's domain XML (domain-xml.ts) both render, so the two backends start the same
 * machine and a new guest option is decided here, then drawn by each renderer.
 */
export interface MachinePlan {
  /** The guest spec's name, for descriptions. */
  name: string;
  accel: Accel;
  cpus: number;
  memoryMiB: number;
  /** An explicit CPU model, or the best the accelerator has ('host' under KVM, 'max' under TCG). */
  cpu: { model: string } | { best: true };
  /** The vPMU: exists only under KVM; 'off' hides it explicitly so guests see the same thing on every host. */
  pmu: 'on' | 'off' | 'absent';
  /** NUMA nodes in order; cpus is the vCPU range of the node, none for a CPU-less (CXL-like) node. */
  numa: Array<{ memoryMiB: number; cpus?: { first: number; last: number } }>;
  kernel: string;
  initrd?: string;
  /** A root disk, attached over virtio-blk; the guest's writes go to an overlay, never to the image. */
  rootDisk?: string;
  /** The whole kernel command line. */
  cmdline: string;
  /** The host port on 127.0.0.1 forwarded to the guest's SSH; none: no network at all (console-only). */
  sshPort?: number;
  /** A host directory shown inside (`--share`); a virtiofs one also makes guest RAM shareable with virtiofsd. */
  share?: SharedDir;
}

export interface MachineInputs {
  guest: GuestSpec;
  accel: Accel;
  kernel: string;
  /** None for a console-only guest: its kernel runs its KUnit suites and reboots before any init. */
  initrd?: string;
  rootDisk?: string;
  /** Kernel command line words added by the run (suite needs, debugging). */
  extraCmdline?: readonly string[];
  sshPort?: number;
  share?: SharedDir;
}

/** Pure: the machine a guest spec and a run's boot files make. */
export function planMachine(inp: MachineInputs): MachinePlan {
  const { guest, accel } = inp;
  let next = 0;
  const numa = (guest.numa ?? []).map((node) => {
    const cpus = node.cpus > 0 ? { first: next, last: next + node.cpus - 1 } : undefined;
    next += node.cpus;
    return { memoryMiB: node.memory, ...(cpus ? { cpus } : {}) };
  });
  // lab.rootfs tells the initramfs init to switch_root into the disk after copying in modules and tests.
  const cmdline = [
    ...BASE_CMDLINE,
    ...(inp.rootDisk ? ['lab.rootfs=/dev/vda'] : []),
    ...guest.cmdline,
    ...(inp.extraCmdline ?? []),
  ].join(' ');
  return {
    name: guest.name,
    accel,
    cpus: guest.cpus,
    memoryMiB: guest.memory,
    cpu: guest.cpu ? { model: guest.cpu } : { best: true },
    pmu: accel !== 'kvm' ? 'absent' : guest.pmu === 'none' ? 'off' : 'on',
    numa,
    kernel: inp.kernel,
    cmdline,
    initrd: inp.initrd,
    rootDisk: inp.rootDisk,
    ...(inp.sshPort === undefined ? {} : { sshPort: inp.sshPort }),
    ...(inp.share ? { share: inp.share } : {}),
  };
}

/**
 * The user-mode network both backends give a guest with SSH. Bound to loopback: the guest's root shell
 * must never be reachable from the network. restrict=on: a guest running someone's patches as root
 * reaches nothing of the host (its loopback services answer at 10.0.2.2 otherwise) nor the outside; the
 * forwarded port still works. romfile= drops the NIC's iPXE option ROM: we never network-boot, and
 * SeaBIOS running it costs a good part of a second under TCG.
 */
export function userNetwork(id: string, sshPort: number, deviceExtra = ''): string[] {
  return [
    '-netdev',
    `user,id=${id},restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    '-device',
    `virtio-net-pci,netdev=${id},romfile=${deviceExtra}`,
  ];
}
