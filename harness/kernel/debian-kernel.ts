import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDeb } from '../source/apt-download.js';
import { labAptSearch } from '../source/lab-apt.js';
import { publishDir } from '../util/staging.js';
import { readJsonRecord, writeJsonAtomic } from '../util/state-file.js';
import { run } from '../util/process.js';
import { InfraError, UsageError } from '../util/errors.js';
import { parseKernelConfig } from './kconfig.js';
import type { KernelArtifact } from './kernel-artifact.js';

/**
 * Debian's prebuilt cloud kernels the lab boots, by id. Small, virtio built in or as modules, DAMON sysfs
 * enabled. Since 7.x the cloud kernel is split: `linux-image-…` is a metapackage, the image is in
 * `linux-binary-…`, the modules in `linux-modules-…`, config and System.map in `linux-base-…`, all under
 * the merged /usr/lib/modules/<release>/.
 */
export interface DebianKernelSpec {
  id: string;
  /** The Debian suite that carries it (the lab's apt knows bookworm, sid and experimental). */
  suite: string;
  /** The package holding vmlinuz, with the version in group 1; the newest match is taken. */
  image: RegExp;
  /** The same as a POSIX regex for `apt-cache search` (a wider net; `image` decides). */
  aptSearch: string;
  /** For split kernels: the other packages, named from the image package's. */
  split: boolean;
}

export const DEBIAN_KERNELS: readonly DebianKernelSpec[] = [
  {
    id: 'debian-6.12',
    suite: 'bookworm',
    image: /^linux-image-(6\.12\.[0-9]+)\+deb[0-9]+-cloud-amd64-unsigned$/,
    aptSearch: '^linux-image-6\\.12\\..*-cloud-amd64-unsigned$',
    split: false,
  },
  {
    id: 'debian-7.2',
    suite: 'sid',
    image: /^linux-binary-(7\.2\.[0-9]+)\+deb[0-9]+-cloud-amd64$/,
    aptSearch: '^linux-binary-7\\.2\\..*-cloud-amd64$',
    split: true,
  },
  {
    id: 'debian-7.3',
    suite: 'experimental',
    image: /^linux-binary-(7\.3(?:\.[0-9]+)?)(?:\+deb[0-9]+)?-cloud-amd64$/,
    aptSearch: '^linux-binary-7\\.3.*-cloud-amd64$',
    split: true,
  },
];

/** The newest release Debian ships prebuilt: what a run boots unless told otherwise. */
export const DEFAULT_DEBIAN_KERNEL = 'debian-7.2';

/** A Debian kernel id (`debian` alone is the default one), or undefined for anything else. */
export function debianKernelSpec(id: string): DebianKernelSpec | undefined {
  const want = id === 'debian' ? DEFAULT_DEBIAN_KERNEL : id;
  return DEBIAN_KERNELS.find((k) => k.id === want);
}

export function requireDebianKernel(id: string): DebianKernelSpec {
  const spec = debianKernelSpec(id);
  if (!spec)
    throw new UsageError(
      `unknown Debian kernel '${id}'`,
      `known: ${DEBIAN_KERNELS.map((k) => k.id).join(', ')} (debian = ${DEFAULT_DEBIAN_KERNEL})`,
    );
  return spec;
}

/** Pure: the newest package among names (one a line, or `apt-cache search` lines) matching the spec. */
export function pickNewestKernelPackage(
  searchOutput: string,
  spec: DebianKernelSpec = requireDebianKernel('debian-6.12'),
): string | undefined {
  let best: { name: string; version: number[] } | undefined;
  for (const line of searchOutput.split('\n')) {
    const name = line.split(' - ')[0]?.trim() ?? '';
    const m = spec.image.exec(name);
    if (!m) continue;
    const version = m[1]!.split('.').map(Number);
    if (!best || compareVersions(version, best.version) > 0) best = { name, version };
  }
  return best?.name;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Pure: the packages of a kernel, from its image package's name. */
export function kernelPackages(spec: DebianKernelSpec, imagePackage: string): string[] {
  if (!spec.split) return [imagePackage];
  const rest = imagePackage.replace(/^linux-binary-/, '');
  return [imagePackage, `linux-modules-${rest}`, `linux-base-${rest}`];
}

interface KernelMeta {
  id?: string;
  package: string;
  /** Every package unpacked, with its exact version: what summary.json names. */
  packages?: { name: string; version: string }[];
  version: string;
  release: string;
  /** Relative to the kernel's folder (older cache entries: boot/vmlinuz-<release>, boot/config-<release>). */
  vmlinuz?: string;
  config?: string;
}

function artifactFromDir(dir: string, meta: KernelMeta): KernelArtifact {
  const configPath = join(dir, meta.config ?? join('boot', `config-${meta.release}`));
  const pkgs = meta.packages?.map((p) => `${p.name} ${p.version}`).join(', ') ?? `${meta.package} ${meta.version}`;
  return {
    release: meta.release,
    source: `debian:${pkgs}`,
    vmlinuz: join(dir, meta.vmlinuz ?? join('boot', `vmlinuz-${meta.release}`)),
    modulesRoot: dir,
    configPath,
    config: parseKernelConfig(readFileSync(configPath, 'utf8')),
  };
}

/** Finds the image package: $LAB_KERNEL_PACKAGE (for the default kernel), else the newest the lab's apt knows. */
async function resolvePackage(cache: string, spec: DebianKernelSpec, log: (s: string) => void): Promise<string> {
  if (process.env.LAB_KERNEL_PACKAGE && spec.id === DEFAULT_DEBIAN_KERNEL) return process.env.LAB_KERNEL_PACKAGE;
  const found = pickNewestKernelPackage((await labAptSearch(cache, spec.aptSearch, log)).join('\n'), spec);
  if (!found)
    throw new InfraError(
      `no package for ${spec.id} in Debian ${spec.suite} (looked for ${spec.image.source})`,
      `the lab's apt lists are in ${join(cache, 'apt')}; \`lab setup --refresh\` fetches them again`,
    );
  return found;
}

/**
 * A Debian kernel by id, fetched with `apt-get download` (the lab's own apt) and unpacked once into the
 * cache. The choice is remembered in kernels/debian/<id>.json so warm runs never ask apt; `refresh` asks again.
 */
export async function debianKernel(
  cache: string,
  id: string,
  opts: { refresh?: boolean; log?: (s: string) => void } = {},
): Promise<KernelArtifact> {
  const spec = requireDebianKernel(id);
  const log = opts.log ?? (() => {});
  const base = join(cache, 'kernels', 'debian');
  const pointer = join(base, `${spec.id}.json`);
  const known = opts.refresh ? undefined : readJsonRecord<KernelMeta>(pointer, log);
  if (known && existsSync(join(base, known.package, 'meta.json')))
    return artifactFromDir(join(base, known.package), known);
  const pkg = await resolvePackage(cache, spec, log);
  const dir = join(base, pkg);
  if (!existsSync(join(dir, 'meta.json'))) await fetchAndUnpack(cache, spec, pkg, dir, log);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as KernelMeta;
  mkdirSync(base, { recursive: true });
  writeJsonAtomic(pointer, meta);
  return artifactFromDir(dir, meta);
}

/** The default Debian kernel (DEFAULT_DEBIAN_KERNEL). */
export function debianDefaultKernel(
  cache: string,
  opts: { refresh?: boolean; log?: (s: string) => void } = {},
): Promise<KernelArtifact> {
  return debianKernel(cache, DEFAULT_DEBIAN_KERNEL, opts);
}

/** Which Debian kernels are in the cache already (for `lab doctor` and `lab list`). */
export function fetchedDebianKernels(cache: string): { id: string; release?: string; source?: string }[] {
  return DEBIAN_KERNELS.map((k) => {
    const meta = readJsonRecord<KernelMeta>(join(cache, 'kernels', 'debian', `${k.id}.json`));
    if (!meta) return { id: k.id };
    return {
      id: k.id,
      release: meta.release,
      source: (meta.packages ?? [{ name: meta.package, version: meta.version }])
        .map((p) => `${p.name} ${p.version}`)
        .join(', '),
    };
  });
}

async function fetchAndUnpack(
  cache: string,
  spec: DebianKernelSpec,
  pkg: string,
  dir: string,
  log: (s: string) => void,
): Promise<void> {
  const debs: string[] = [];
  for (const p of kernelPackages(spec, pkg)) debs.push(await cachedDeb(cache, p, log));
  await publishDir(dir, async (staging) => {
    const packages: { name: string; version: string }[] = [];
    for (const deb of debs) {
      log(`unpacking ${deb}`);
      await run(['dpkg-deb', '-x', deb, staging]);
      packages.push({
        name: await run(['dpkg-deb', '-f', deb, 'Package']),
        version: await run(['dpkg-deb', '-f', deb, 'Version']),
      });
    }
    // Bookworm ships modules under lib/, newer Debian under usr/lib/: normalise to lib/.
    if (!existsSync(join(staging, 'lib', 'modules')) && existsSync(join(staging, 'usr', 'lib', 'modules'))) {
      mkdirSync(join(staging, 'lib'), { recursive: true });
      renameSync(join(staging, 'usr', 'lib', 'modules'), join(staging, 'lib', 'modules'));
    }
    const releases = readdirSync(join(staging, 'lib', 'modules'));
    const release = releases[0];
    if (!release || releases.length !== 1)
      throw new InfraError(`${pkg}: expected one lib/modules/<release>, found ${releases.join(', ') || 'none'}`);
    // 6.12 keeps vmlinuz and config in boot/; the split 7.x packages put them beside the modules.
    const inModules = (f: string) => join('lib', 'modules', release, f);
    const vmlinuz = existsSync(join(staging, 'boot', `vmlinuz-${release}`))
      ? join('boot', `vmlinuz-${release}`)
      : inModules('vmlinuz');
    const config = existsSync(join(staging, 'boot', `config-${release}`))
      ? join('boot', `config-${release}`)
      : inModules('config');
    for (const f of [vmlinuz, config])
      if (!existsSync(join(staging, f)))
        throw new InfraError(`${pkg}: ${f} is missing after unpacking ${debs.join(', ')}`);
    // The packages leave modules.dep to their postinst; make it here so modprobe works in the guest.
    await run(['depmod', '-b', staging, release]);
    const meta: KernelMeta = {
      id: spec.id,
      package: pkg,
      packages,
      version: packages[0]!.version,
      release,
      vmlinuz,
      config,
    };
    writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta, null, 2));
  });
}
