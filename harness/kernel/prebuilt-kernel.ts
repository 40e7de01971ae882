import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { parseKernelConfig } from './kconfig.js';
import type { KernelArtifact } from './kernel-artifact.js';

/** Pure: the version string a bzImage carries in its setup header (kernel_version at 0x20e, +0x200). */
export function bzImageRelease(buf: Buffer): string | undefined {
  if (buf.length < 0x210 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const ptr = buf.readUInt16LE(0x20e) + 0x200;
  if (ptr >= buf.length) return undefined;
  const end = buf.indexOf(0, ptr);
  return buf.toString('latin1', ptr, end < 0 ? ptr + 256 : end).split(' ')[0];
}

/**
 * `--kernel PATH`: a prebuilt bzImage (or a kernel build directory holding arch/x86/boot/bzImage and
 * .config), with modules from `--modules DIR` (an INSTALL_MOD_PATH: DIR/lib/modules/<release>).
 */
export function prebuiltKernel(
  path: string,
  modulesDir: string | undefined,
  configFile: string | undefined,
): KernelArtifact {
  const p = resolve(path);
  if (!existsSync(p)) throw new UsageError(`--kernel ${path}: no such file or directory`);
  const isDir = statSync(p).isDirectory();
  const vmlinuz = isDir ? join(p, 'arch', 'x86', 'boot', 'bzImage') : p;
  if (!existsSync(vmlinuz)) throw new UsageError(`--kernel ${path}: no arch/x86/boot/bzImage in this build directory`);
  const release = bzImageRelease(readFileSync(vmlinuz));
  if (!release) throw new UsageError(`--kernel ${path}: not an x86 bzImage (no HdrS setup header)`);
  const configPath = configFile ? resolve(configFile) : isDir ? join(p, '.config') : join(dirname(p), '.config');
  if (!existsSync(configPath))
    throw new UsageError(`--kernel ${path}: no .config found (${configPath}); pass --kconfig FILE`);
  const modulesRoot = modulesDir ? resolve(modulesDir) : dirname(vmlinuz);
  if (modulesDir && !existsSync(join(modulesRoot, 'lib', 'modules', release))) {
    throw new UsageError(
      `--modules ${modulesDir}: no lib/modules/${release} in it (make modules_install INSTALL_MOD_PATH=${modulesDir})`,
    );
  }
  return {
    release,
    source: `prebuilt:${vmlinuz}`,
    vmlinuz,
    modulesRoot,
    configPath,
    config: parseKernelConfig(readFileSync(configPath, 'utf8')),
  };
}
