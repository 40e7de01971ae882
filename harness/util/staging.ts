import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Fills a scratch folder beside `dir` and renames it into place only when `fill` succeeds, so a cache
 * entry is either complete or absent: an interrupted or failed step never leaves half an entry behind.
 */
export async function publishDir<T>(dir: string, fill: (staging: string) => Promise<T>): Promise<T> {
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const v = await fill(staging);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(staging, dir);
    return v;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
