import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InfraError } from './errors.js';

/**
 * Refuses to start work that needs `bytes` on the filesystem of `dir` when it has less free: a clear
 * error naming the folder and the numbers, instead of a tool failing (or, like apt on a full disk,
 * hanging) halfway through. The estimate is what the work needs at most, with room to spare.
 */
export function requireFreeSpace(dir: string, bytes: number, what: string): void {
  // The folder may not exist yet (a fresh cache): its nearest existing parent is on the same filesystem.
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const s = statfsSync(at);
  const free = s.bavail * s.bsize;
  if (free >= bytes) return;
  const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
  throw new InfraError(
    `not enough space for ${what}: ${dir} has ${mib(free)} free, and it needs about ${mib(bytes)} (No space left on device, before starting)`,
    'free some space (`lab cache` shows what the cache holds, `lab cache prune` removes unused build trees), or point LAB_CACHE at a larger filesystem',
  );
}
