import { homedir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** The repository root: the folder holding package.json, found from this file whether run from dist/ or source. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'guests'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the damon-lab repository root');
    dir = up;
  }
}

/** The cache of a lab run as root when LAB_CACHE is unset: a system cache, like apt's. */
export const ROOT_CACHE = '/var/cache/damon-lab';

/**
 * Where fetched packages, kernels, images and keys live: $LAB_CACHE, else /var/cache/damon-lab for root
 * and ~/.cache/damon-lab for anyone else. Not root's home for root: its builds run as the unprivileged
 * build user, which must pass through the cache's parent folders, and /root is 0700.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  if (env.LAB_CACHE) return resolve(env.LAB_CACHE);
  if (uid === 0) return ROOT_CACHE;
  const xdg = env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(xdg, 'damon-lab');
}

/** Where run reports go: $LAB_REPORTS or <repo>/reports. */
export function reportsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_REPORTS ? resolve(env.LAB_REPORTS) : join(repoRoot(), 'reports');
}
