import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { configValue, type KernelConfig } from '../kernel/kconfig.js';
import { UsageError } from '../util/errors.js';

/** A host directory shown inside the guest at the same path (`--share DIR`, `--rw`). */
export interface ShareRequest {
  /** Absolute, checked to be a directory. */
  dir: string;
  writable: boolean;
}

/**
 * How the guest's kernel reads the share. virtiofs where the kernel has it (Debian's cloud kernels 6.12, 7.2 and
 * 7.3 build it in and have no 9p at all), else virtio-9p (QEMU serves it itself, no daemon).
 */
export type ShareFs = 'virtiofs' | '9p';

export interface SharedDir extends ShareRequest {
  fs: ShareFs;
}

/** The mount tag both transports give the share; init mounts it by this name. */
export const SHARE_TAG = 'labshare';

/**
 * Pure: the share as the user named it, made absolute and checked: a directory that exists, not `/` itself (the
 * guest's root is its initramfs), and a path the kernel command line carries as one word (no spaces or control
 * characters: init reads it from /proc/cmdline).
 */
export function shareRequest(dir: string, writable: boolean, cwd = process.cwd()): ShareRequest {
  const abs = resolve(cwd, dir);
  if (!existsSync(abs)) throw new UsageError(`--share ${dir}: no such directory (${abs})`);
  if (!statSync(abs).isDirectory()) throw new UsageError(`--share ${dir}: not a directory (${abs})`);
  if (abs === '/')
    throw new UsageError("--share /: the guest's own root cannot be replaced; share a directory under it");
  // eslint-disable-next-line no-control-regex
  // Commas too: QEMU's and virtiofsd's option syntax splits on them.
  if (/[\s\x00-\x1f\x7f",]/.test(abs))
    throw new UsageError(
      `--share ${JSON.stringify(abs)}: a path with spaces, commas, quotes or control characters cannot be passed on the guest's kernel command line and QEMU's options`,
      'share a directory whose path has none (a symbolic link to it is fine)',
    );
  return { dir: abs, writable };
}

/** Pure: which transport the kernel can mount, or why none. */
export function shareFsFor(config: KernelConfig): { fs: ShareFs } | { missing: string } {
  const has = (s: string) => ['y', 'm'].includes(configValue(config, s));
  if (has('CONFIG_VIRTIO_FS')) return { fs: 'virtiofs' };
  if (has('CONFIG_9P_FS') && has('CONFIG_NET_9P_VIRTIO')) return { fs: '9p' };
  return {
    missing: `the kernel has neither CONFIG_VIRTIO_FS (${configValue(config, 'CONFIG_VIRTIO_FS')}) nor CONFIG_9P_FS with CONFIG_NET_9P_VIRTIO (${configValue(config, 'CONFIG_9P_FS')}, ${configValue(config, 'CONFIG_NET_9P_VIRTIO')})`,
  };
}

/** Pure: the modules init must load for the share, where the kernel has the transport as modules. */
export function shareModules(config: KernelConfig, fs: ShareFs): string[] {
  const mod = (s: string, name: string) => (configValue(config, s) === 'm' ? [name] : []);
  return fs === 'virtiofs'
    ? [...mod('CONFIG_FUSE_FS', 'fuse'), ...mod('CONFIG_VIRTIO_FS', 'virtiofs')]
    : [...mod('CONFIG_NET_9P', '9pnet'), ...mod('CONFIG_NET_9P_VIRTIO', '9pnet_virtio'), ...mod('CONFIG_9P_FS', '9p')];
}

/** Pure: the kernel command line words that tell init to mount the share (see images/initramfs/init.sh). */
export function shareCmdline(s: SharedDir): string[] {
  return [`lab.share=${s.dir}`, `lab.share_fs=${s.fs}`, ...(s.writable ? ['lab.share_rw'] : [])];
}

/**
 * Pure: QEMU's arguments for the share. virtiofs: a vhost-user device talking to virtiofsd over its socket, and
 * guest RAM QEMU can hand that daemon (a shared memfd: virtiofsd reads and writes the guest's buffers directly).
 * 9p: QEMU's own server; readonly=on refuses writes on the host's side, whatever the guest mounts.
 */
export function shareQemuArgs(s: SharedDir, socket: string | undefined): string[] {
  if (s.fs === '9p')
    return [
      '-fsdev',
      `local,id=labfs,path=${s.dir},security_model=none${s.writable ? '' : ',readonly=on'}`,
      '-device',
      `virtio-9p-pci,fsdev=labfs,mount_tag=${SHARE_TAG}`,
    ];
  if (!socket) throw new Error('a virtiofs share needs its virtiofsd socket');
  return ['-chardev', `socket,id=labfs,path=${socket}`, '-device', `vhost-user-fs-pci,chardev=labfs,tag=${SHARE_TAG}`];
}

/**
 * Pure: the virtiofsd command serving the share on `socket`. Read-only is enforced on the host: QEMU 7.2's C
 * virtiofsd has no read-only option, so the directory is bind-mounted read-only onto itself in a mount namespace
 * of the daemon's own (nothing changes for the rest of the host) and virtiofsd serves that; the guest's root
 * cannot remount it writable. The script is fixed; the paths reach it as arguments, never as shell text.
 */
export function virtiofsdArgv(virtiofsd: string, s: SharedDir, socket: string): string[] {
  const daemon = [virtiofsd, `--socket-path=${socket}`, '-o', `source=${s.dir}`, '-o', 'cache=auto'];
  if (s.writable) return daemon;
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
    'sh',
    s.dir,
    ...daemon,
  ];
}

/** Where Debian puts virtiofsd: the Rust daemon's package (Debian 13 on), QEMU's own C one (Debian 12's qemu-system-common). */
export const VIRTIOFSD_PATHS = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];

/** The virtiofsd binary to use, or undefined. */
export function findVirtiofsd(paths: readonly string[] = VIRTIOFSD_PATHS): string | undefined {
  return paths.find((p) => existsSync(p));
}
