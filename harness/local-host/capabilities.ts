import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * What the host can give a guest beyond plain TCG: the facts the DAMON access-sampling series care about
 * (vendor, PMU, AMD IBS, KVM's mediated vPMU, vNMI, vIBS). Read from /proc and /sys; nothing is changed.
 */
export interface HostCapabilities {
  vendor: 'AMD' | 'Intel' | 'other';
  /** CPU flags of interest present on the host. */
  flags: { ibs: boolean; archPerfmon: boolean; perfctrCore: boolean };
  /** perf PMUs the host kernel registered (cpu, ibs_op, ibs_fetch, ...). */
  pmus: string[];
  kvm: { module?: 'kvm_intel' | 'kvm_amd'; mediatedPmu?: boolean; vnmi?: boolean; vibs?: boolean; enablePmu?: boolean };
}

/** Pure: the host facts from the text of /proc/cpuinfo and the listed sysfs values. */
export function readCapabilities(
  cpuinfo: string,
  pmus: string[],
  kvmParams: Record<string, string | undefined>,
  kvmModule: HostCapabilities['kvm']['module'],
): HostCapabilities {
  const vendorId = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1] ?? '';
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const yes = (v: string | undefined) => (v === undefined ? undefined : /^(Y|y|1)$/.test(v.trim()));
  const kvm: HostCapabilities['kvm'] = {};
  if (kvmModule) kvm.module = kvmModule;
  const mediated = yes(kvmParams.enable_mediated_pmu);
  if (mediated !== undefined) kvm.mediatedPmu = mediated;
  const vnmi = yes(kvmParams.vnmi);
  if (vnmi !== undefined) kvm.vnmi = vnmi;
  const vibs = yes(kvmParams.vibs);
  if (vibs !== undefined) kvm.vibs = vibs;
  const pmu = yes(kvmParams.enable_pmu);
  if (pmu !== undefined) kvm.enablePmu = pmu;
  return {
    vendor: vendorId === 'AuthenticAMD' ? 'AMD' : vendorId === 'GenuineIntel' ? 'Intel' : 'other',
    flags: { ibs: flags.has('ibs'), archPerfmon: flags.has('arch_perfmon'), perfctrCore: flags.has('perfctr_core') },
    pmus,
    kvm,
  };
}

export function probeHostCapabilities(): HostCapabilities {
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined);
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const pmuDir = '/sys/bus/event_source/devices';
  const pmus = existsSync(pmuDir) ? readdirSync(pmuDir).sort() : [];
  const module = existsSync('/sys/module/kvm_amd')
    ? 'kvm_amd'
    : existsSync('/sys/module/kvm_intel')
      ? 'kvm_intel'
      : undefined;
  const params: Record<string, string | undefined> = {};
  if (module)
    for (const p of ['enable_mediated_pmu', 'vnmi', 'vibs']) params[p] = read(`/sys/module/${module}/parameters/${p}`);
  params.enable_pmu = read('/sys/module/kvm/parameters/enable_pmu');
  return readCapabilities(cpuinfo, pmus, params, module);
}

/** A suite's requirement, and why it is unmet (undefined when met). */
export type Requirement = 'kvm' | 'vpmu' | 'mediated_vpmu' | 'amd_ibs' | 'guest_ibs' | 'numa';

export interface RequirementContext {
  accel: 'kvm' | 'tcg';
  accelReason: string;
  host: HostCapabilities;
  guestPmu: 'none' | 'legacy' | 'mediated';
  guestNumaNodes: number;
}

/** Pure: the exact reason a requirement is unmet here, or undefined when it is met. */
export function unmetReason(req: Requirement, c: RequirementContext): string | undefined {
  switch (req) {
    case 'kvm':
      return c.accel === 'kvm' ? undefined : `needs KVM; this run uses TCG (${c.accelReason})`;
    case 'vpmu':
      if (c.accel !== 'kvm')
        return `needs a virtual PMU, which only KVM guests have; this run uses TCG (${c.accelReason})`;
      if (c.guestPmu === 'none') return 'needs a virtual PMU; the guest spec says pmu: none';
      if (c.host.kvm.enablePmu === false) return 'needs a virtual PMU; the host has kvm.enable_pmu=N';
      return undefined;
    case 'mediated_vpmu':
      if (c.accel !== 'kvm') return `needs KVM's mediated vPMU; this run uses TCG (${c.accelReason})`;
      if (c.guestPmu !== 'mediated') return `needs pmu: mediated in the guest spec (it says ${c.guestPmu})`;
      if (!c.host.kvm.mediatedPmu)
        return `needs ${c.host.kvm.module ?? 'kvm_intel/kvm_amd'}.enable_mediated_pmu=Y on the host (a Linux 7.0+ host kernel); ${c.host.kvm.mediatedPmu === false ? 'it is N' : 'the parameter does not exist'}`;
      return undefined;
    case 'amd_ibs':
      if (c.host.vendor !== 'AMD') return `needs an AMD CPU with IBS; the host CPU is ${c.host.vendor}`;
      if (!c.host.flags.ibs) return 'needs AMD IBS; the host CPU has no ibs flag';
      return undefined;
    case 'guest_ibs': {
      const host = unmetReason('amd_ibs', c);
      if (host) return host;
      if (c.accel !== 'kvm')
        return `needs IBS in the guest, which only KVM can pass through; this run uses TCG (${c.accelReason})`;
      if (!c.host.kvm.vibs) return 'needs kvm_amd.vibs=Y on the host to give guests IBS';
      return undefined;
    }
    case 'numa':
      return c.guestNumaNodes >= 2
        ? undefined
        : `needs a guest with at least 2 NUMA nodes; this guest has ${c.guestNumaNodes}`;
  }
}
