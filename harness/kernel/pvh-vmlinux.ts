import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadExeca } from '../util/process.js';
import { join, resolve, sep } from 'node:path';
import type { KernelConfig } from './kconfig.js';
import { cacheRoot } from '../util/paths.js';
import { hashFile } from '../util/hash.js';

/**
 * Booting the uncompressed vmlinux through its PVH entry point (CONFIG_PVH) skips SeaBIOS's real-mode
 * kernel setup and the decompressor: measured here under TCG, the first console line comes 0.3–0.6 s
 * after QEMU starts instead of 1.2 s. The vmlinux is carved out of the bzImage once and cached beside it.
 */
const MAGIC: Readonly<Record<string, { bytes: number[]; tool: string[] }>> = {
  CONFIG_KERNEL_ZSTD: { bytes: [0x28, 0xb5, 0x2f, 0xfd], tool: ['zstd', '-dc', '-q'] },
  CONFIG_KERNEL_GZIP: { bytes: [0x1f, 0x8b, 0x08], tool: ['gzip', '-dc', '-q'] },
  CONFIG_KERNEL_XZ: { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], tool: ['xz', '-dc', '-q'] },
};

/** Pure: which decompressor the kernel's config names, and where its stream starts in the bzImage. */
export function locatePayload(bzImage: Buffer, config: KernelConfig): { offset: number; tool: string[] } | undefined {
  for (const [symbol, m] of Object.entries(MAGIC)) {
    if (config.get(symbol) !== 'y') continue;
    const offset = bzImage.indexOf(Buffer.from(m.bytes));
    return offset >= 0 ? { offset, tool: m.tool } : undefined;
  }
  return undefined;
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * Where the carved vmlinux goes: beside a kernel the cache holds (Debian's, the lab's builds), and for a
 * user's own file (`--kernel /boot/vmlinuz-X`) into the cache by the file's content: the lab never
 * writes next to a file it was only given to read.
 */
export async function pvhPath(vmlinuz: string, cache: string): Promise<string> {
  const root = resolve(cache) + sep;
  if (resolve(vmlinuz).startsWith(root)) return vmlinuz.replace(/vmlinuz/, 'vmlinux-pvh');
  const dir = join(cache, 'pvh');
  mkdirSync(dir, { recursive: true });
  return join(dir, `vmlinux-pvh-${(await hashFile(vmlinuz)).slice(0, 20)}`);
}

/** The image QEMU's -kernel gets: the PVH vmlinux where the kernel supports it, else the bzImage. */
export async function bootableKernel(
  vmlinuz: string,
  config: KernelConfig,
  cache = cacheRoot(),
): Promise<{ path: string; pvh: boolean }> {
  if (config.get('CONFIG_PVH') !== 'y') return { path: vmlinuz, pvh: false };
  const out = await pvhPath(vmlinuz, cache);
  if (out !== vmlinuz && existsSync(out)) return { path: out, pvh: true };
  const bz = readFileSync(vmlinuz);
  const payload = locatePayload(bz, config);
  if (!payload || out === vmlinuz) return { path: vmlinuz, pvh: false };
  const [tool, ...args] = payload.tool;
  const tmp = `${out}.tmp-${process.pid}`;
  const compressed = `${tmp}.in`;
  try {
    writeFileSync(compressed, bz.subarray(payload.offset));
    // The stream is followed by the bzImage's trailer, which decompressors report as trailing garbage:
    // their exit status says nothing, the ELF header below does.
    const execa = await loadExeca();
    await execa(tool!, [...args, compressed], {
      stdout: { file: tmp },
      stderr: 'ignore',
      buffer: false,
      reject: false,
    });
    const head = Buffer.alloc(4);
    const fd = openSync(tmp, 'r');
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    if (statSync(tmp).size < 1024 * 1024 || !head.equals(ELF)) return { path: vmlinuz, pvh: false };
    renameSync(tmp, out);
  } finally {
    rmSync(compressed, { force: true });
    rmSync(tmp, { force: true });
  }
  return { path: out, pvh: true };
}
