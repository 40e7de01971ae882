import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { labAptDownload } from './lab-apt.js';
import { InfraError } from '../util/errors.js';

/**
 * A Debian package's .deb in the cache ($LAB_CACHE/debs), fetched with `apt-get download` through the
 * lab's own apt (lab-apt.ts: bookworm, sid and experimental, the host's apt untouched) the first time. It downloads
 * into a scratch folder, so a half-downloaded file never looks cached.
 */
export async function cachedDeb(cache: string, pkg: string, log: (s: string) => void): Promise<string> {
  const debs = join(cache, 'debs');
  mkdirSync(debs, { recursive: true });
  const have = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (have) return join(debs, have);
  log(`fetching ${pkg} with apt-get download`);
  const tmp = join(debs, `.tmp-${pkg}-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await labAptDownload(cache, pkg, tmp, log);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new InfraError(`apt-get download ${pkg} produced no .deb`);
    renameSync(join(tmp, deb), join(debs, deb));
    return join(debs, deb);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
