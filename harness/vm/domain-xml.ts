import { BASE_CMDLINE, type Accel } from './qemu-argv.js';
import type { GuestSpec } from '../schema/guest.js';

export interface DomainPlanInputs {
  /** Unique per run: libvirt names must not collide between concurrent cells on one host. */
  name: string;
  guest: GuestSpec;
  accel: Accel;
  /** Paths on the libvirt host (copied there first for a remote host). */
  kernel: string;
  initrd?: string;
  rootDisk?: string;
  consoleLog: string;
  extraCmdline?: readonly string[];
  /** The host port (on the host's 127.0.0.1) forwarded to the guest's SSH; none for a console-only guest. */
  sshPort?: number;
}

export interface DomainPlan {
  xml: string;
  cmdline: string;
  consoleLog: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * Pure: the guest spec as libvirt domain XML, the same machine the QEMU backend starts: direct kernel
 * boot with the lab's command line, the serial console written to a file, the NUMA layout (a CPU-less
 * cell for CXL-like memory), the vPMU mode, and SSH forwarded from the host's 127.0.0.1 only.
 * Every lifecycle event destroys the domain: a guest that powers off, reboots (kunit_shutdown) or
 * crashes is gone, as with QEMU's -no-reboot. The user-mode NIC goes through the qemu:commandline
 * namespace: libvirt's own <interface type='user'> has no loopback-bound port forward without passt.
 * A root disk is <transient/> (QEMU's snapshot=on): the guest writes to an overlay, never to the image.
 */
export function buildDomainXml(inp: DomainPlanInputs): DomainPlan {
  const { guest, accel } = inp;
  const cmdline = [...BASE_CMDLINE, ...(inp.rootDisk ? ['lab.rootfs=/dev/vda'] : []), ...guest.cmdline, ...(inp.extraCmdline ?? [])].join(' ');
  const cpu = accel === 'kvm'
    ? (guest.cpu ? `<cpu mode='custom' match='exact'><model fallback='forbid'>${esc(guest.cpu)}</model>` : "<cpu mode='host-passthrough'>")
    : (guest.cpu ? `<cpu mode='custom' match='exact'><model fallback='forbid'>${esc(guest.cpu)}</model>` : "<cpu mode='maximum'>");
  let next = 0;
  const cells = (guest.numa ?? []).map((node, i) => {
    const cpus = node.cpus > 0 ? ` cpus='${next}-${next + node.cpus - 1}'` : '';
    next += node.cpus;
    return `        <cell id='${i}'${cpus} memory='${node.memory}' unit='MiB'/>`;
  });
  const numa = cells.length ? `\n      <numa>\n${cells.join('\n')}\n      </numa>\n    ` : '';
  // A vPMU exists only under KVM; "none" hides it explicitly so guests see the same thing on every host.
  const pmu = accel === 'kvm' ? `\n    <pmu state='${guest.pmu === 'none' ? 'off' : 'on'}'/>` : '';
  const qemuArgs = inp.sshPort === undefined ? [] : [
    // restrict=on: the guest reaches nothing of its host (see qemu-argv.ts); the forward still works.
    '-netdev', `user,id=labnet,restrict=on,hostfwd=tcp:127.0.0.1:${inp.sshPort}-:22`,
    // An explicit slot: left to QEMU, the NIC takes the first free one before libvirt's own devices
    // (the root disk's virtio-blk) are placed, and the domain does not start.
    '-device', 'virtio-net-pci,netdev=labnet,romfile=,addr=0x10',
  ];
  const xml = `<domain type='${accel === 'kvm' ? 'kvm' : 'qemu'}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${esc(inp.name)}</name>
  <description>damon-lab guest ${esc(guest.name)}</description>
  <memory unit='MiB'>${guest.memory}</memory>
  <vcpu>${guest.cpus}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${esc(inp.kernel)}</kernel>${inp.initrd ? `\n    <initrd>${esc(inp.initrd)}</initrd>` : ''}
    <cmdline>${esc(cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>${pmu}
  </features>
  ${cpu}${numa}</cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>${inp.rootDisk ? `
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${esc(inp.rootDisk)}'/>
      <target dev='vda' bus='virtio'/>
      <transient/>
    </disk>` : ''}
    <serial type='file'>
      <source path='${esc(inp.consoleLog)}'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>${qemuArgs.length ? `
  <qemu:commandline>
${qemuArgs.map((a) => `    <qemu:arg value='${esc(a)}'/>`).join('\n')}
  </qemu:commandline>` : ''}
</domain>
`;
  return { xml, cmdline, consoleLog: inp.consoleLog };
}
