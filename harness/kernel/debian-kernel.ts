import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cachedDeb } from '../source/apt-download.js';
import { publishDir } from '../util/staging.js';
import { join } from 'node:path';
import { run, probe } from '../util/process.js';
import { InfraError } from '../util/errors.js';
import { parseKernelConfig } from './kconfig.js';
import type { KernelArtifact } from './kernel-artifact.js';

/** Debian's prebuilt cloud kernel: small, virtio built in or as modules, DAMON sysfs enabled. */
export const DEFAULT_KERNEL_PATTERN = /^linux-image-(6\.12\.[0-9]+)\+deb[0-9]+-cloud-amd64-unsigned$/;

/** Pure: the newest package name among `apt-cache search` lines, by its 6.12.N patch level. */
export function pickNewestKernelPackage(searchOutput: string): string | undefined {
  let best: { name: string; patch: number } | undefined;
  for (const line of searchOutput.split('\n')) {
    const name = line.split(' - ')[0]?.trim() ?? '';
    const m = DEFAULT_KERNEL_PATTERN.exec(name);
    if (!m) continue;
    const patch = Number(m[1]!.split('.')[2]);
    if (!best || patch > best.patch) best = { name, patch };
  }
  return best?.name;
}

interface KernelMeta {
  package: string;
  version: string;
  release: string;
}

function artifactFromDir(dir: string, meta: KernelMeta): KernelArtifact {
  const configPath = join(dir, 'boot', `config-${meta.release}`);
  return {
    release: meta.release,
    source: `debian:${meta.package} ${meta.version}`,
    vmlinuz: join(dir, 'boot', `vmlinuz-${meta.release}`),
    modulesRoot: dir,
    configPath,
    config: parseKernelConfig(readFileSync(configPath, 'utf8')),
  };
}

/** Finds the package name: $LAB_KERNEL_PACKAGE, else the newest 6.12 cloud kernel apt knows. */
async function resolvePackage(log: (s: string) => void): Promise<string> {
  if (process.env.LAB_KERNEL_PACKAGE) return process.env.LAB_KERNEL_PACKAGE;
  const search = () => probe(['apt-cache', 'search', '--names-only', '^linux-image-6\\.12\\..*-cloud-amd64-unsigned$']);
  let found = pickNewestKernelPackage((await search()).stdout);
  if (!found) {
    log('apt has no 6.12 cloud kernel listed; running apt-get update');
    await run(['apt-get', 'update', '-q']);
    found = pickNewestKernelPackage((await search()).stdout);
  }
  if (!found) throw new InfraError('no linux-image-6.12.*-cloud-amd64-unsigned package in the apt sources', 'add Debian bookworm (or bookworm-backports/security) to /etc/apt/sources.list');
  return found;
}

/**
 * The embedded default kernel, fetched with `apt-get download` and unpacked once into the cache.
 * The choice is remembered in kernels/debian/default.json so warm runs never ask apt; `refresh` asks again.
 */
export async function debianDefaultKernel(cache: string, opts: { refresh?: boolean; log?: (s: string) => void } = {}): Promise<KernelArtifact> {
  const log = opts.log ?? (() => {});
  const base = join(cache, 'kernels', 'debian');
  const pointer = join(base, 'default.json');
  if (!opts.refresh && existsSync(pointer)) {
    const meta = JSON.parse(readFileSync(pointer, 'utf8')) as KernelMeta;
    const dir = join(base, meta.package);
    if (existsSync(join(dir, 'meta.json'))) return artifactFromDir(dir, meta);
  }
  const pkg = await resolvePackage(log);
  const dir = join(base, pkg);
  if (!existsSync(join(dir, 'meta.json'))) await fetchAndUnpack(cache, pkg, dir, log);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as KernelMeta;
  writeFileSync(pointer, JSON.stringify(meta, null, 2));
  return artifactFromDir(dir, meta);
}

async function fetchAndUnpack(cache: string, pkg: string, dir: string, log: (s: string) => void): Promise<void> {
  const deb = await cachedDeb(cache, pkg, log);
  log(`unpacking ${deb}`);
  await publishDir(dir, async (staging) => {
    await run(['dpkg-deb', '-x', deb, staging]);
    const version = await run(['dpkg-deb', '-f', deb, 'Version']);
    // Bookworm ships modules under lib/, newer Debian under usr/lib/: normalise to lib/.
    if (!existsSync(join(staging, 'lib', 'modules')) && existsSync(join(staging, 'usr', 'lib', 'modules'))) {
      mkdirSync(join(staging, 'lib'), { recursive: true });
      renameSync(join(staging, 'usr', 'lib', 'modules'), join(staging, 'lib', 'modules'));
    }
    const releases = readdirSync(join(staging, 'lib', 'modules'));
    const release = releases[0];
    if (!release || releases.length !== 1) throw new InfraError(`${deb}: expected one lib/modules/<release>, found ${releases.join(', ') || 'none'}`);
    // The package leaves modules.dep to its postinst; make it here so modprobe works in the guest.
    await run(['depmod', '-b', staging, release]);
    const meta: KernelMeta = { package: pkg, version, release };
    writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta, null, 2));
  });
}
