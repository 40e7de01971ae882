import { probe } from '../util/process.js';

export const QEMU_BINARY = process.env.LAB_QEMU ?? 'qemu-system-x86_64';

/** "7.2.22" from `qemu-system-x86_64 --version`, or undefined when the binary is missing. */
export async function qemuVersion(binary = QEMU_BINARY): Promise<string | undefined> {
  try {
    const r = await probe([binary, '--version']);
    return /version (\S+)/.exec(r.stdout)?.[1];
  } catch {
    return undefined;
  }
}
