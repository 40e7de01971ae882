import { InfraError } from '../util/errors.js';
import type { Accel } from '../vm/machine-plan.js';
import { cachedKvmVerdict } from './kvm-probe.js';
import type { ProbedHost } from '../libvirt/placement.js';

/** Turns a guest's `accel` wish into what QEMU will use, with the reason shown in reports. */
export async function resolveAccel(
  wish: 'auto' | 'kvm' | 'tcg',
  ctx: { cache: string; qemu: string; qemuVersion: string; vmlinuz: string },
): Promise<{ accel: Accel; reason: string }> {
  if (wish === 'tcg') return { accel: 'tcg', reason: 'guest asks for tcg' };
  if (process.env.LAB_ACCEL === 'tcg') return { accel: 'tcg', reason: 'LAB_ACCEL=tcg' };
  const v = await cachedKvmVerdict(ctx.cache, ctx.qemu, ctx.qemuVersion, ctx.vmlinuz);
  if (v.usable) return { accel: 'kvm', reason: v.reason };
  if (wish === 'kvm')
    throw new InfraError(
      `guest asks for accel: kvm, but KVM is unusable here: ${v.reason}`,
      'use accel: auto (falls back to TCG) or accel: tcg',
    );
  return { accel: 'tcg', reason: `KVM unusable: ${v.reason}` };
}

/** Pure: the guest's accel wish on a libvirt host, given what the host's probe found. */
export function hostAccel(wish: 'auto' | 'kvm' | 'tcg', host: ProbedHost): { accel: Accel; reason: string } {
  if (wish === 'tcg') return { accel: 'tcg', reason: 'guest asks for tcg' };
  if (host.accel === 'kvm') return { accel: 'kvm', reason: `${host.spec.name}: ${host.accelReason}` };
  if (wish === 'kvm')
    throw new InfraError(
      `guest asks for accel: kvm, but host ${host.spec.name} cannot give it: ${host.accelReason}`,
      'use accel: auto or another host',
    );
  return { accel: 'tcg', reason: host.accelReason };
}
