import { writeJsonAtomic } from '../util/state-file.js';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dieWithParent } from '../vm/die-with-parent.js';
import { loadExeca } from '../util/process.js';
import { trackChild, untrackChild } from '../vm/reaper.js';

export interface KvmVerdict {
  present: boolean;
  usable: boolean;
  /** Why it is unusable, or how it was proven usable. */
  reason: string;
}

/**
 * Pure: judges what a probe boot printed. A kernel that reached its late boot (it panics for lack of a
 * root filesystem, on purpose) ran under KVM; "KVM internal error" (seen on nested hosts that cannot
 * emulate some instructions) or silence means KVM cannot run our guests.
 */
export function judgeKvmProbe(output: string, timedOut: boolean): { usable: boolean; reason: string } {
  const internal = /KVM internal error[^\n]*/.exec(output);
  if (internal) return { usable: false, reason: `a test boot died with "${internal[0].trim()}"` };
  if (/Failed to initialize KVM|Could not access KVM kernel module|failed to initialize kvm/i.test(output)) {
    return { usable: false, reason: (/.*KVM.*/i.exec(output)?.[0] ?? 'QEMU could not initialise KVM').trim() };
  }
  if (/Kernel panic - not syncing|Freeing unused kernel image|Run \/init/.test(output)) {
    return { usable: true, reason: 'a test boot of the guest kernel reached userspace hand-off under KVM' };
  }
  if (timedOut) return { usable: false, reason: 'a test boot under KVM printed nothing useful before the timeout' };
  return {
    usable: false,
    reason: `a test boot under KVM ended early: ${output.trim().split('\n').slice(-1)[0] ?? ''}`,
  };
}

/** Boots the given kernel under KVM with no root filesystem and judges the result. */
export async function probeKvm(qemu: string, vmlinuz: string, timeoutMs = 15000): Promise<KvmVerdict> {
  if (!existsSync('/dev/kvm'))
    return {
      present: false,
      usable: false,
      reason: '/dev/kvm does not exist (no KVM module, or not exposed to this machine)',
    };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return {
      present: true,
      usable: false,
      reason: '/dev/kvm is not readable and writable by this user (add it to group kvm)',
    };
  }
  const argv = [
    '-accel',
    'kvm',
    '-cpu',
    'host',
    '-m',
    '256',
    '-smp',
    '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    vmlinuz,
    '-append',
    'console=ttyS0 panic=-1 init=/lab-kvm-probe',
  ];
  const [file, ...args] = dieWithParent([qemu, ...argv]);
  const execa = await loadExeca();
  const child = execa(file, args, { reject: false, all: true, stdin: 'ignore', timeout: timeoutMs });
  if (child.pid) trackChild(child.pid, 'qemu kvm probe');
  let output = '';
  let decided = false;
  child.all?.on('data', (d: Buffer) => {
    output += d.toString();
    // Stop as soon as the answer is known rather than waiting for the boot to finish.
    if (!decided && /KVM internal error|Kernel panic - not syncing|Freeing unused kernel image/.test(output)) {
      decided = true;
      setTimeout(() => child.kill('SIGKILL'), /KVM internal error/.test(output) ? 200 : 0);
    }
  });
  const r = await child;
  if (child.pid) untrackChild(child.pid);
  const verdict = judgeKvmProbe(output, r.timedOut === true);
  return { present: true, ...verdict };
}

/**
 * The probe boots a kernel, so its answer is cached per host boot (KVM usability changes with the host,
 * not between runs), per QEMU binary version and per probe kernel.
 */
export async function cachedKvmVerdict(
  cache: string,
  qemu: string,
  qemuVersion: string,
  vmlinuz: string,
): Promise<KvmVerdict & { cached: boolean }> {
  const bootId = existsSync('/proc/sys/kernel/random/boot_id')
    ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    : 'unknown';
  const dir = join(cache, 'probes');
  const file = join(dir, 'kvm.json');
  const key = `${bootId}|${qemuVersion}|${vmlinuz}`;
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string; verdict: KvmVerdict };
      if (saved.key === key) return { ...saved.verdict, cached: true };
    } catch {
      /* unreadable: probe again */
    }
  }
  const verdict = await probeKvm(qemu, vmlinuz);
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(file, { key, verdict });
  return { ...verdict, cached: false };
}
