import type { DamonRegion } from './sysfs-driver.js';

export interface AddrRange {
  start: bigint;
  end: bigint;
}

export function overlapBytes(a: AddrRange, b: AddrRange): bigint {
  const lo = a.start > b.start ? a.start : b.start;
  const hi = a.end < b.end ? a.end : b.end;
  return hi > lo ? hi - lo : 0n;
}

/**
 * The hottest region, read the way a person reads a DAMON snapshot: among the regions whose nr_accesses
 * is at least `share` of the maximum, the largest. A process's own code and stack pages are touched on
 * every sample too, so by nr_accesses alone a few-page region can tie with the real hot set.
 */
export function hottestRegion(regions: readonly DamonRegion[], share: number): DamonRegion | undefined {
  const max = Math.max(0, ...regions.map((r) => r.nrAccesses));
  if (max === 0) return undefined;
  const hot = regions.filter((r) => r.nrAccesses >= share * max);
  return hot.reduce((best, r) => (r.end - r.start > best.end - best.start ? r : best));
}
