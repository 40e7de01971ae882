import { probe } from '../util/process.js';
import { memoJson, onPath } from '../util/identity-memo.js';
import { cacheRoot } from '../util/paths.js';

export const QEMU_BINARY = process.env.LAB_QEMU ?? 'qemu-system-x86_64';

/** "7.2.22" from `qemu-system-x86_64 --version`, or undefined when the binary is missing. */
export async function qemuVersion(binary = QEMU_BINARY): Promise<string | undefined> {
  try {
    const where = onPath(binary);
    const out = await memoJson(cacheRoot(), `${binary} --version`, where ? [where] : [], async () =>
      probe([binary, '--version']).then((r) => r.stdout),
    );
    return /version (\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}
