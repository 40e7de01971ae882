import { planMachine, userNetwork, type MachineInputs, type MachinePlan } from './machine-plan.js';

/** The machine's files are paths on the libvirt host (copied there first for a remote host). */
export interface DomainPlanInputs extends MachineInputs {
  /** Unique per run: libvirt names must not collide between concurrent cells on one host. */
  name: string;
  consoleLog: string;
}

export interface DomainPlan {
  xml: string;
  cmdline: string;
  consoleLog: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

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
  return domainXml(planMachine(inp), inp);
}

/** Pure: a machine plan as libvirt domain XML (see buildDomainXml). */
export function domainXml(m: MachinePlan, where: { name: string; consoleLog: string }): DomainPlan {
  const model = 'model' in m.cpu ? `<model fallback='forbid'>${esc(m.cpu.model)}</model>` : '';
  const cpu = model
    ? `<cpu mode='custom' match='exact'>${model}`
    : m.accel === 'kvm'
      ? "<cpu mode='host-passthrough'>"
      : "<cpu mode='maximum'>";
  const cells = m.numa.map((node, i) => {
    const cpus = node.cpus ? ` cpus='${node.cpus.first}-${node.cpus.last}'` : '';
    return `        <cell id='${i}'${cpus} memory='${node.memoryMiB}' unit='MiB'/>`;
  });
  const numa = cells.length ? `\n      <numa>\n${cells.join('\n')}\n      </numa>\n    ` : '';
  const pmu = m.pmu === 'absent' ? '' : `\n    <pmu state='${m.pmu}'/>`;
  // An explicit slot for the NIC: left to QEMU, it takes the first free one before libvirt's own devices
  // (the root disk's virtio-blk) are placed, and the domain does not start.
  const qemuArgs = m.sshPort === undefined ? [] : userNetwork('labnet', m.sshPort, ',addr=0x10');
  const xml = `<domain type='${m.accel === 'kvm' ? 'kvm' : 'qemu'}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${esc(where.name)}</name>
  <description>damon-lab guest ${esc(m.name)}</description>
  <memory unit='MiB'>${m.memoryMiB}</memory>
  <vcpu>${m.cpus}</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${esc(m.kernel)}</kernel>${m.initrd ? `\n    <initrd>${esc(m.initrd)}</initrd>` : ''}
    <cmdline>${esc(m.cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>${pmu}
  </features>
  ${cpu}${numa}</cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>${
    m.rootDisk
      ? `
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${esc(m.rootDisk)}'/>
      <target dev='vda' bus='virtio'/>
      <transient/>
    </disk>`
      : ''
  }
    <serial type='file'>
      <source path='${esc(where.consoleLog)}'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>${
    qemuArgs.length
      ? `
  <qemu:commandline>
${qemuArgs.map((a) => `    <qemu:arg value='${esc(a)}'/>`).join('\n')}
  </qemu:commandline>`
      : ''
  }
</domain>
`;
  return { xml, cmdline: m.cmdline, consoleLog: where.consoleLog };
}
