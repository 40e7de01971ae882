import { statfsSync, existsSync, mkdirSync } from 'node:fs';
import { probe } from '../util/process.js';
import { QEMU_BINARY, qemuVersion } from './qemu-binary.js';
import { cachedKvmVerdict } from './kvm-probe.js';
import { queryMissing, REQUIRED_PACKAGES } from './packages.js';
import { debianDefaultKernel, fetchedDebianKernels } from '../kernel/debian-kernel.js';
import { probeHostCapabilities } from './capabilities.js';

export type CheckStatus = 'ok' | 'warn' | 'missing' | 'info';

export interface DoctorLine {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
  /** A missing required item makes `lab doctor` exit non-zero. */
  required: boolean;
}

export const MIN_FREE_GIB = 5;

/** Pure: the lines as a table a person reads top to bottom. */
export function formatDoctor(lines: readonly DoctorLine[]): string {
  const w = Math.max(...lines.map((l) => l.name.length));
  return lines
    .map(
      (l) =>
        `${l.status.toUpperCase().padEnd(7)} ${l.name.padEnd(w)}  ${l.detail}${l.fix ? `\n${' '.repeat(8 + w + 2)}fix: ${l.fix}` : ''}`,
    )
    .join('\n');
}

export function doctorFailed(lines: readonly DoctorLine[]): boolean {
  return lines.some((l) => l.required && l.status === 'missing');
}

async function toolLine(
  name: string,
  argv: string[],
  pkg: string,
  parse: (out: string) => string | undefined,
): Promise<DoctorLine> {
  const r = await probe(argv).catch(() => undefined);
  const out = `${r?.stdout ?? ''}\n${r?.stderr ?? ''}`;
  const version = r && r.exitCode !== undefined && !/not found|ENOENT/.test(out) ? parse(out) : undefined;
  return version
    ? { name, status: 'ok', detail: version, required: true }
    : {
        name,
        status: 'missing',
        detail: `${argv[0]} not found`,
        fix: `lab setup (apt-get install ${pkg})`,
        required: true,
      };
}

/** Every prerequisite and capability, probed for real. KVM is judged by booting the guest kernel under it. */
export async function runDoctor(cache: string): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  const missingPkgs = await queryMissing(REQUIRED_PACKAGES.map((p) => p.name));
  lines.push(
    missingPkgs.length
      ? {
          name: 'packages',
          status: 'missing',
          detail: `not installed: ${missingPkgs.join(' ')}`,
          fix: 'lab setup',
          required: true,
        }
      : {
          name: 'packages',
          status: 'ok',
          detail: `${REQUIRED_PACKAGES.length} Debian packages installed`,
          required: true,
        },
  );
  const qv = await qemuVersion(QEMU_BINARY);
  lines.push(
    qv
      ? { name: 'qemu', status: 'ok', detail: `${QEMU_BINARY} ${qv}`, required: true }
      : {
          name: 'qemu',
          status: 'missing',
          detail: `${QEMU_BINARY} not found`,
          fix: 'lab setup (apt-get install qemu-system-x86)',
          required: true,
        },
  );
  lines.push(await toolLine('busybox', ['/bin/busybox'], 'busybox-static', (o) => /BusyBox v\S+/.exec(o)?.[0]));
  lines.push(
    await toolLine('dropbear', ['/usr/sbin/dropbear', '-V'], 'dropbear-bin', (o) => /Dropbear v\S+/.exec(o)?.[0]),
  );
  lines.push(
    await toolLine('gcc', ['gcc', '-dumpfullversion'], 'gcc', (o) =>
      /^\d+\.\d+/.test(o.trim()) ? `gcc ${o.trim()}` : undefined,
    ),
  );
  lines.push(await toolLine('depmod', ['depmod', '-V'], 'kmod', (o) => /kmod version \S+/.exec(o)?.[0]));

  mkdirSync(cache, { recursive: true });
  const fs = statfsSync(cache);
  const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
  lines.push({
    name: 'cache space',
    status: freeGiB >= MIN_FREE_GIB ? 'ok' : 'missing',
    detail: `${freeGiB.toFixed(1)} GiB free in ${cache}`,
    ...(freeGiB >= MIN_FREE_GIB
      ? {}
      : { fix: `free space or set LAB_CACHE to a disk with at least ${MIN_FREE_GIB} GiB` }),
    required: true,
  });

  // KVM: present is not enough. Boot the default kernel under it; TCG is the fallback.
  const kvmPresent = existsSync('/dev/kvm');
  if (!qv) {
    lines.push({ name: 'kvm', status: 'warn', detail: 'not probed: QEMU is missing', required: false });
  } else {
    let vmlinuz: string | undefined;
    try {
      vmlinuz = (await debianDefaultKernel(cache)).vmlinuz;
    } catch (e) {
      lines.push({
        name: 'default kernel',
        status: 'missing',
        detail: (e as Error).message,
        fix: 'lab setup',
        required: true,
      });
    }
    if (vmlinuz) {
      lines.push({ name: 'default kernel', status: 'ok', detail: vmlinuz, required: true });
      const v = await cachedKvmVerdict(cache, QEMU_BINARY, qv, vmlinuz);
      lines.push(
        v.usable
          ? {
              name: 'kvm',
              status: 'ok',
              detail: `usable: ${v.reason}${v.cached ? ' (cached for this host boot)' : ''}`,
              required: false,
            }
          : {
              name: 'kvm',
              status: 'warn',
              detail: `${kvmPresent ? 'present but unusable' : 'absent'}: ${v.reason}${v.cached ? ' (cached for this host boot)' : ''}`,
              fix: 'guests run under TCG (slower, works); for KVM use a host where nested virtualisation works',
              required: false,
            },
      );
      lines.push({
        name: 'accel',
        status: 'info',
        detail: `accel: auto resolves to ${v.usable ? 'kvm' : 'tcg'}`,
        required: false,
      });
    }
  }
  for (const k of fetchedDebianKernels(cache)) {
    lines.push({
      name: `kernel ${k.id}`,
      status: 'info',
      detail: k.release ? `fetched: ${k.release} (${k.source})` : 'not fetched yet (fetched on first use)',
      required: false,
    });
  }
  // What the access-sampling series need from the host; information, never a failure here.
  const caps = probeHostCapabilities();
  const kvmParams = Object.entries(caps.kvm)
    .filter(([k]) => k !== 'module')
    .map(([k, v]) => `${k}=${v ? 'Y' : 'N'}`)
    .join(' ');
  lines.push({
    name: 'cpu',
    status: 'info',
    detail: `${caps.vendor}; PMUs: ${caps.pmus.join(' ') || 'none'}`,
    required: false,
  });
  lines.push({
    name: 'amd ibs',
    status: caps.vendor === 'AMD' && caps.flags.ibs ? 'ok' : 'info',
    detail:
      caps.vendor === 'AMD' && caps.flags.ibs
        ? 'host CPU has IBS'
        : `no IBS (host CPU is ${caps.vendor}): suites that require amd_ibs are SKIP`,
    required: false,
  });
  lines.push({
    name: 'kvm pmu',
    status: caps.kvm.mediatedPmu ? 'ok' : 'info',
    detail: caps.kvm.module
      ? `${caps.kvm.module} ${kvmParams || '(no PMU parameters)'}`
      : 'no kvm_intel/kvm_amd module: no vPMU of any kind',
    ...(caps.kvm.mediatedPmu ? {} : { fix: 'mediated vPMU needs a Linux 7.0+ host with kvm_*.enable_mediated_pmu=Y' }),
    required: false,
  });
  return lines;
}
