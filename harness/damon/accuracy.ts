import type { DamonRegion } from './sysfs-driver.js';

export interface Accuracy {
  /** Share of the true hot bytes inside regions DAMON calls hot. */
  recall: number;
  /** Share of the bytes DAMON calls hot that are truly hot. */
  precision: number;
  hotBytes: bigint;
}

function intersect(a: ReadonlyArray<[bigint, bigint]>, b: ReadonlyArray<[bigint, bigint]>): bigint {
  let i = 0;
  let j = 0;
  let sum = 0n;
  while (i < a.length && j < b.length) {
    const lo = a[i]![0] > b[j]![0] ? a[i]![0] : b[j]![0];
    const hi = a[i]![1] < b[j]![1] ? a[i]![1] : b[j]![1];
    if (hi > lo) sum += hi - lo;
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return sum;
}

/**
 * The regions DAMON calls hot: nr_accesses at least `share` of the snapshot's maximum (none if nothing was accessed).
 */
export function hotRegions(regions: readonly DamonRegion[], share: number): DamonRegion[] {
  const max = Math.max(0, ...regions.map((r) => r.nrAccesses));
  return max === 0 ? [] : regions.filter((r) => r.nrAccesses >= share * max);
}

/**
 * Pure: how well a snapshot's hot regions match the truth (sorted, disjoint [start, end) ranges).
 * Recall is what a tiering policy needs (the hot set found); precision says how much cold memory it would drag along.
 */
export function scoreSnapshot(
  regions: readonly DamonRegion[],
  truth: ReadonlyArray<[bigint, bigint]>,
  share: number,
): Accuracy {
  const hot = hotRegions(regions, share)
    .map((r): [bigint, bigint] => [r.start, r.end])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const truthBytes = truth.reduce((n, [s, e]) => n + (e - s), 0n);
  const hotBytes = hot.reduce((n, [s, e]) => n + (e - s), 0n);
  const both = intersect(hot, truth);
  return {
    recall: truthBytes ? Number(both) / Number(truthBytes) : 0,
    precision: hotBytes ? Number(both) / Number(hotBytes) : 0,
    hotBytes,
  };
}
