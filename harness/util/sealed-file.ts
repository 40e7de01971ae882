import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { readJsonRecord, writeJsonAtomic } from './state-file.js';

/**
 * A cache file the lab published, sealed with its sha256 so that a damaged copy (a disk error, a copy cut
 * short, someone's edit) is noticed before a guest boots it. The seal (`<file>.seal`) records size,
 * mtime and hash; a file whose size or mtime moved is hashed again, and one under SMALL bytes is hashed
 * on every check (a few milliseconds), so any change to it is seen.
 */
export const SMALL = 64 * 1024 * 1024;

interface Seal {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const sealPath = (path: string) => `${path}.seal`;

export function sha256File(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(4 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Seals a file just published (call after the rename that published it). */
export function sealFile(path: string): void {
  const st = statSync(path);
  writeJsonAtomic(sealPath(path), { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256File(path) } satisfies Seal);
}

/**
 * Whether a cached file is what was published: 'ok', 'damaged' (its hash is not the seal's), or 'unsealed'
 * (published before seals existed: it is sealed now, as it stands). A missing file is 'missing'.
 */
export function checkSealed(path: string): 'ok' | 'damaged' | 'unsealed' | 'missing' {
  if (!existsSync(path)) return 'missing';
  const seal = readJsonRecord<Seal>(sealPath(path));
  if (!seal || typeof seal.sha256 !== 'string') {
    sealFile(path);
    return 'unsealed';
  }
  const st = statSync(path);
  if (st.size === seal.size && st.mtimeMs === seal.mtimeMs && st.size >= SMALL) return 'ok';
  if (st.size !== seal.size || sha256File(path) !== seal.sha256) return 'damaged';
  // Same content, touched: the seal follows, so a large file is not hashed again next time.
  if (st.mtimeMs !== seal.mtimeMs) writeJsonAtomic(sealPath(path), { ...seal, mtimeMs: st.mtimeMs });
  return 'ok';
}

/** Removes a damaged cache file and its seal, so the caller builds it again. */
export function discardSealed(path: string): void {
  rmSync(path, { force: true });
  rmSync(sealPath(path), { force: true });
}
