import { join } from 'node:path';
import { probe } from '../util/process.js';
import { isDirectory, readdirOrNone } from '../util/fs-probe.js';

/** What each top-level folder of the cache holds, for `lab cache`. */
export const CACHE_AREAS: Record<string, string> = {
  sources: "kernel git trees: Debian's source packages as repositories, and clones of --tree",
  worktrees: 'checkouts and build directories, one per build slot (lab cache prune)',
  artifacts: 'built kernels with their modules and selftests, by what they were built from',
  kernels: "Debian's kernel packages, unpacked",
  debs: 'downloaded .deb packages',
  images: 'initramfs parts and root filesystem images',
  snapshots: `saved booted guests (the least recently restored go past LAB_SNAPSHOTS_MAX, 8)`,
  ccache: 'the compiler cache of every build (8 GiB at most)',
  apt: "the lab's own apt lists for fetching from other Debian suites",
  memo: 'answers of tools kept by the identity of the files they depend on',
  fixtures: 'fixture histories the tests and benches build',
  workloads: 'workload programs built for the guests',
  keys: "the lab's SSH keys",
  guests: 'records of kept guests (lab up)',
  probes: 'capability probes of this host',
};

/** Pure: parses `du -sB1` output ("<bytes>\t<path>" lines) into bytes per path. */
export function parseDu(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\d+)\t(.+)$/.exec(line);
    if (m) out.set(m[2]!, Number(m[1]));
  }
  return out;
}

/** Disk usage of each path in bytes (one `du` for all; a path du cannot read counts what it could). */
export async function diskUsage(paths: readonly string[]): Promise<Map<string, number>> {
  if (!paths.length) return new Map();
  const r = await probe(['du', '-sxB1', '--', ...paths]);
  return parseDu(r.stdout);
}

/** The cache's top-level folders. */
export function cacheAreas(cache: string): string[] {
  return readdirOrNone(cache)
    .filter((n) => isDirectory(join(cache, n)))
    .sort();
}

/** Pure: bytes as a short human size (binary units, as du -h). */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
