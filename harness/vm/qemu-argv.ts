import type { GuestSpec } from '../schema/guest.js';

export type Accel = 'kvm' | 'tcg';

export interface QemuPlanInputs {
  guest: GuestSpec;
  accel: Accel;
  qemu: string;
  kernel: string;
  /** None for a console-only guest: its kernel runs its KUnit suites and reboots before any init. */
  initrd?: string;
  /** Kernel command line words added by the run (suite needs, debugging). */
  extraCmdline?: readonly string[];
  runDir: string;
  /** The host port forwarded to the guest's SSH; none for a console-only guest (no network at all). */
  sshPort?: number;
  /**
   * TCG threading. Single-threaded by default: with QEMU 7.2's multi-threaded TCG we saw the stock kernel
   * Oops on a stale int3 in sched_clock_cpu while it live-patched static keys during boot (cross-vCPU
   * code modification), about once in 25 boots. "multi" (LAB_TCG_THREAD=multi) is faster but not safe here.
   */
  tcgThreads?: 'single' | 'multi';
  /** A root disk image, attached over virtio-blk in snapshot mode (the cached image is never written). */
  rootDisk?: string;
}

export interface QemuPlan {
  argv: string[];
  consoleLog: string;
  qmpSocket: string;
  pidFile: string;
  cmdline: string;
}

/**
 * Kernel arguments every lab guest gets, and why:
 * - console=ttyS0: the serial console is the log the watcher reads;
 * - panic=-1 with QEMU's -no-reboot: a panic ends QEMU at once instead of hanging until the boot timeout;
 * - mitigations=off, no_timer_check, tsc=reliable: speed and fewer spurious clocksource complaints under TCG;
 * - 8250.nr_uarts=1: skip probing serial ports the machine does not have.
 */
export const BASE_CMDLINE = ['console=ttyS0', 'panic=-1', 'mitigations=off', 'no_timer_check', 'tsc=reliable', '8250.nr_uarts=1', 'random.trust_cpu=on'];

/** Pure: the guest spec as a QEMU argv. Nothing here touches the machine. */
export function buildQemuArgv(inp: QemuPlanInputs): QemuPlan {
  const { guest, accel } = inp;
  const consoleLog = `${inp.runDir}/console.log`;
  const qmpSocket = `${inp.runDir}/qmp.sock`;
  const pidFile = `${inp.runDir}/qemu.pid`;
  // lab.rootfs tells the initramfs init to switch_root into the disk after copying in modules and tests.
  const cmdline = [...BASE_CMDLINE, ...(inp.rootDisk ? ['lab.rootfs=/dev/vda'] : []), ...guest.cmdline, ...(inp.extraCmdline ?? [])].join(' ');
  const cpuModel = guest.cpu ?? (accel === 'kvm' ? 'host' : 'max');
  // A vPMU exists only under KVM; "none" hides it explicitly so guests see the same thing on every host.
  const pmuFlag = accel === 'kvm' && guest.pmu !== 'none' ? ',pmu=on' : accel === 'kvm' ? ',pmu=off' : '';
  const argv = [
    inp.qemu,
    '-name', `damon-lab,debug-threads=on`,
    '-machine', 'pc',
    '-accel', accel === 'kvm' ? 'kvm' : `tcg,thread=${inp.tcgThreads ?? 'single'}`,
    '-cpu', cpuModel + pmuFlag,
    '-smp', String(guest.cpus),
    '-m', `${guest.memory}M`,
    ...numaArgs(guest),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', inp.kernel,
    ...(inp.initrd ? ['-initrd', inp.initrd] : []),
    '-append', cmdline,
    '-chardev', `file,id=console,path=${consoleLog}`,
    '-serial', 'chardev:console',
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    '-pidfile', pidFile,
    ...(inp.sshPort === undefined ? [] : [
      // Bound to loopback: the guest's root shell must never be reachable from the network. restrict=on:
      // a guest running someone's patches as root reaches nothing of the host (its loopback services
      // answer at 10.0.2.2 otherwise) nor the outside; the forwarded port still works.
      '-netdev', `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${inp.sshPort}-:22`,
      // romfile= drops the NIC's iPXE option ROM: we never network-boot, and SeaBIOS running it costs
      // a good part of a second under TCG.
      '-device', 'virtio-net-pci,netdev=net0,romfile=',
    ]),
    ...(inp.rootDisk ? ['-drive', `file=${inp.rootDisk},if=virtio,format=raw,snapshot=on`] : []),
  ];
  return { argv, consoleLog, qmpSocket, pidFile, cmdline };
}

function numaArgs(guest: GuestSpec): string[] {
  if (!guest.numa) return [];
  const out: string[] = [];
  let cpu = 0;
  guest.numa.forEach((node, i) => {
    out.push('-object', `memory-backend-ram,id=mem${i},size=${node.memory}M`);
    const cpus = node.cpus > 0 ? `,cpus=${cpu}-${cpu + node.cpus - 1}` : '';
    cpu += node.cpus;
    out.push('-numa', `node,nodeid=${i},memdev=mem${i}${cpus}`);
  });
  return out;
}
