import { probe, run } from '../util/process.js';
import { InfraError } from '../util/errors.js';
import { memoJson } from '../util/identity-memo.js';
import { cacheRoot } from '../util/paths.js';

/** Debian packages the default path needs, each with the reason, shown by `lab setup` and `lab doctor`. */
export const REQUIRED_PACKAGES: ReadonlyArray<{ name: string; why: string }> = [
  { name: 'qemu-system-x86', why: 'boots the guests (qemu-system-x86_64)' },
  { name: 'busybox-static', why: 'the guest userland in the initramfs' },
  { name: 'dropbear-bin', why: 'the guest SSH server and its host key (dropbearkey)' },
  { name: 'gcc', why: 'builds the static workload programs' },
  { name: 'libc6-dev', why: 'static libc for the workload programs' },
  { name: 'kmod', why: 'depmod: module dependencies of the guest kernel' },
  { name: 'xz-utils', why: 'decompresses Debian kernel modules for busybox modprobe' },
  { name: 'zstd', why: 'unpacks the vmlinux from a zstd bzImage for fast PVH boots' },
  { name: 'util-linux', why: 'setpriv: QEMU is started so that it dies with the lab' },
  { name: 'openssh-client', why: "ssh's connection multiplexing: `lab exec` on a kept guest without starting node" },
  {
    name: 'debian-archive-keyring',
    why: "the lab's own apt checks the signatures of sid's and experimental's kernels",
  },
];

/** What kernel builds from source need on top of REQUIRED_PACKAGES (installed on the first `lab build`). */
export const BUILD_PACKAGES: ReadonlyArray<{ name: string; why: string }> = [
  { name: 'make', why: 'Kbuild' },
  { name: 'flex', why: 'Kconfig and dtc lexers' },
  { name: 'bison', why: 'Kconfig parser' },
  { name: 'bc', why: 'kernel/time constants' },
  { name: 'libelf-dev', why: 'objtool and resolve_btfids' },
  { name: 'libssl-dev', why: 'module signing tools (sign-file, extract-cert)' },
  { name: 'ccache', why: 'compiler cache shared by all lab builds' },
  { name: 'rsync', why: 'kselftest and headers install' },
  { name: 'git', why: 'the source repository, git am, worktrees, bisect' },
  { name: 'python3', why: 'kernel scripts' },
];

/** What the Debian rootfs image (images/debian.yaml) needs to be built. */
export const ROOTFS_PACKAGES: ReadonlyArray<{ name: string; why: string }> = [
  { name: 'debootstrap', why: 'installs the guest root filesystem' },
  { name: 'e2fsprogs', why: 'mkfs.ext4 -d writes the image without mounting' },
  { name: 'openssh-client', why: 'ssh-keygen makes the image host key' },
];

/**
 * The optional libvirt backend (lab setup --libvirt): the daemons, the headers the binding builds against, ssh for
 * remote hosts.
 */
export const LIBVIRT_PACKAGES: ReadonlyArray<{ name: string; why: string }> = [
  { name: 'libvirt-daemon-system', why: 'libvirtd and virtlogd, for libvirt hosts (and the tests, which start them)' },
  { name: 'libvirt-dev', why: 'headers and pkg-config for building @unraid/libvirt from source' },
  { name: 'libvirt-clients', why: 'virsh, to look at a host by hand' },
  { name: 'pkg-config', why: 'node-gyp finds libvirt with it' },
  { name: 'openssh-server', why: 'sshd for qemu+ssh:// hosts (the tests run one on loopback)' },
];

/** Pure: which of the wanted packages dpkg-query did not report as installed. */
export function missingPackages(wanted: readonly string[], dpkgStatus: string): string[] {
  const installed = new Set<string>();
  for (const line of dpkgStatus.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status?.startsWith('install ok installed')) installed.add(name.replace(/:amd64$/, ''));
  }
  return wanted.filter((p) => !installed.has(p));
}

export async function queryMissing(wanted: readonly string[]): Promise<string[]> {
  // dpkg's answer changes only with its status file (every install and removal rewrites it).
  const status = await memoJson(cacheRoot(), `dpkg-query ${wanted.join(' ')}`, ['/var/lib/dpkg/status'], async () =>
    probe(['dpkg-query', '-W', '-f', '${Package}\t${Status}\n', ...wanted]).then((r) => r.stdout),
  );
  return missingPackages(wanted, status);
}

/** Installs what is missing with apt-get (root only); returns what it installed. */
export async function ensurePackages(
  wanted: readonly string[],
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const missing = await queryMissing(wanted);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new InfraError(
      `missing Debian packages: ${missing.join(' ')}`,
      `install them as root: apt-get install ${missing.join(' ')}`,
    );
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const attempt = () => probe(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  let r = await attempt();
  if (!r.ok) {
    // A fresh machine has empty package lists: update once and try again.
    await run(['apt-get', 'update', '-q'], { env });
    r = await attempt();
  }
  if (!r.ok)
    throw new InfraError(`apt-get install ${missing.join(' ')} failed`, r.stderr.split('\n').slice(-10).join('\n'));
  return missing;
}
