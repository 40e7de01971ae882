import { planMachine, userNetwork, type MachineInputs, type MachinePlan } from './machine-plan.js';
import { shq } from '../guest/shell-quote.js';
import { shareQemuArgs } from './shared-dir.js';

export interface QemuPlanInputs extends MachineInputs {
  qemu: string;
  runDir: string;
  /**
   * TCG threading. Single-threaded by default: with QEMU 7.2's multi-threaded TCG we saw the stock kernel
   * Oops on a stale int3 in sched_clock_cpu while it live-patched static keys during boot (cross-vCPU
   * code modification), about once in 25 boots. "multi" (LAB_TCG_THREAD=multi) is faster but not safe here.
   */
  tcgThreads?: 'single' | 'multi';
  /**
   * A saved guest's migration stream to start from (`-incoming exec:cat FILE`) instead of booting. The
   * console file is then appended to: it already holds the boot's console.
   */
  incoming?: string;
  /** virtiofsd's socket, for a virtiofs share (see shared-dir.ts). */
  virtiofsSocket?: string;
}

export interface QemuPlan {
  argv: string[];
  consoleLog: string;
  qmpSocket: string;
  pidFile: string;
  cmdline: string;
}

/** Pure: the guest spec as a QEMU argv (its machine planned, then drawn). Nothing here touches the machine. */
export function buildQemuArgv(inp: QemuPlanInputs): QemuPlan {
  return qemuArgv(planMachine(inp), inp);
}

/** Pure: a machine plan as QEMU's argv, its console, QMP socket and pid file in the run dir. */
export function qemuArgv(
  m: MachinePlan,
  where: { qemu: string; runDir: string; tcgThreads?: 'single' | 'multi'; incoming?: string; virtiofsSocket?: string },
): QemuPlan {
  const consoleLog = `${where.runDir}/console.log`;
  const qmpSocket = `${where.runDir}/qmp.sock`;
  const pidFile = `${where.runDir}/qemu.pid`;
  const cpuModel = 'model' in m.cpu ? m.cpu.model : m.accel === 'kvm' ? 'host' : 'max';
  const pmuFlag = m.pmu === 'absent' ? '' : `,pmu=${m.pmu}`;
  // virtiofsd maps the guest's buffers from guest RAM: RAM must be a shared memfd, per NUMA node or whole.
  const sharedRam = m.share?.fs === 'virtiofs';
  const ramBackend = sharedRam ? 'memory-backend-memfd' : 'memory-backend-ram';
  const wholeRam = sharedRam && m.numa.length === 0;
  const argv = [
    where.qemu,
    '-name',
    `damon-lab,debug-threads=on`,
    '-machine',
    wholeRam ? 'pc,memory-backend=labmem' : 'pc',
    ...(wholeRam ? ['-object', `memory-backend-memfd,id=labmem,size=${m.memoryMiB}M,share=on`] : []),
    '-accel',
    m.accel === 'kvm' ? 'kvm' : `tcg,thread=${where.tcgThreads ?? 'single'}`,
    '-cpu',
    cpuModel + pmuFlag,
    '-smp',
    String(m.cpus),
    '-m',
    `${m.memoryMiB}M`,
    ...m.numa.flatMap((node, i) => [
      '-object',
      `${ramBackend},id=mem${i},size=${node.memoryMiB}M${sharedRam ? ',share=on' : ''}`,
      '-numa',
      `node,nodeid=${i},memdev=mem${i}${node.cpus ? `,cpus=${node.cpus.first}-${node.cpus.last}` : ''}`,
    ]),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    m.kernel,
    ...(m.initrd ? ['-initrd', m.initrd] : []),
    '-append',
    m.cmdline,
    '-chardev',
    `file,id=console,path=${consoleLog}${where.incoming ? ',append=on' : ''}`,
    '-serial',
    'chardev:console',
    '-qmp',
    `unix:${qmpSocket},server=on,wait=off`,
    '-pidfile',
    pidFile,
    ...(m.sshPort === undefined ? [] : userNetwork('net0', m.sshPort)),
    ...(m.share ? shareQemuArgs(m.share, where.virtiofsSocket) : []),
    // snapshot=on: the cached image is never written.
    ...(m.rootDisk ? ['-drive', `file=${m.rootDisk},if=virtio,format=raw,snapshot=on`] : []),
    // exec: runs through /bin/sh: the path is quoted (it is the lab's cache, but quoted all the same).
    ...(where.incoming ? ['-incoming', `exec:cat ${shq(where.incoming)}`] : []),
  ];
  return { argv, consoleLog, qmpSocket, pidFile, cmdline: m.cmdline };
}
