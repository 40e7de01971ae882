import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Fills a scratch folder beside `dir` and renames it into place only when `fill` succeeds, so a cache
 * entry is either complete or absent: an interrupted or failed step never leaves half an entry behind.
 * Entries are named by what decides their content, so when another process published the same entry
 * meanwhile, its entry stands and this one is dropped: a published entry is never removed from under
 * a process that is using it.
 */
export async function publishDir<T>(dir: string, fill: (staging: string) => Promise<T>): Promise<T> {
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const v = await fill(staging);
    mkdirSync(dirname(dir), { recursive: true });
    if (existsSync(dir)) {
      rmSync(staging, { recursive: true, force: true });
      return v;
    }
    try {
      renameSync(staging, dir);
    } catch (e) {
      // Published by another process between the check and the rename: theirs stands.
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      rmSync(staging, { recursive: true, force: true });
    }
    return v;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
