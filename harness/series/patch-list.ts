import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import type { SeriesSpec } from '../schema/series.js';
import { git } from '../source/git.js';
import { describePatch, splitMbox } from './mbox.js';

/** One patch to apply, with where it came from for error messages. */
export interface Patch {
  /** e.g. "kernel/patches/lab-fixture/0002-....patch" or "series.mbx, message 3". */
  origin: string;
  subject: string;
  data: Buffer;
}

export interface PatchList {
  patches: Patch[];
  /** base-commit named by a cover letter or the patches, if any. */
  baseCommit?: string;
}

/** At most this much per patch file: a larger one is not a patch someone posted. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

/**
 * A patch file's bytes, checked before they are read: a regular file (or a link to one) (a FIFO would block the read for
 * ever, a device never end), of a sane size. Anything else is a config error naming the file.
 */
export function readPatchFile(path: string, seriesFile: string): Buffer {
  // stat, not lstat: a symbolic link to a patch is fine (the fixtures share patches so); what it names is checked.
  const st = statSync(path);
  const kind = st.isFile() ? undefined : st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  if (kind) throw new ConfigError(seriesFile, undefined, `patches: ${path} is ${kind}, not a patch file`);
  if (st.size > MAX_PATCH_BYTES) throw new ConfigError(seriesFile, undefined, `patches: ${path} is ${st.size} bytes, more than the ${MAX_PATCH_BYTES} a patch may have`);
  return readFileSync(path);
}

/** Pure: a cover letter by git format-patch's file name or its subject ([PATCH 0/N], [RFC PATCH v2 00/12]). */
export function isCoverLetter(file: string, subject: string): boolean {
  return /^0+-cover-letter\.patch$/.test(file) || /\[[^\]]*\b0+\/\d+\]/.test(subject);
}

/** Resolves a series' patch source into the ordered patches (cover letters dropped, their base-commit kept). */
export async function listPatches(series: SeriesSpec, seriesFile: string, tree: string | undefined): Promise<PatchList> {
  const src = series.patches;
  if (!src) return { patches: [] };
  const here = dirname(seriesFile);
  if ('dir' in src) {
    const dir = resolve(here, src.dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(seriesFile, undefined, `patches.dir: ${dir} is not a folder`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.patch')).sort();
    if (files.length === 0) throw new ConfigError(seriesFile, undefined, `patches.dir: no *.patch files in ${dir}`);
    const out: Patch[] = [];
    let baseCommit: string | undefined;
    for (const f of files) {
      const path = join(dir, f);
      const data = readPatchFile(path, seriesFile);
      const d = describePatch(data.toString('utf8'));
      baseCommit ??= d.baseCommit;
      if (!d.hasDiff) {
        // Only a cover letter may carry no diff; anything else that does is a broken series, not one to skip.
        if (isCoverLetter(f, d.subject)) continue;
        throw new ConfigError(seriesFile, undefined, `patches.dir: ${path} holds no diff${data.length === 0 ? ' (it is empty)' : ''}; only a cover letter (0000-cover-letter.patch, [PATCH 0/N]) may`);
      }
      out.push({ origin: path, subject: d.subject, data });
    }
    return { patches: out, ...(baseCommit ? { baseCommit } : {}) };
  }
  if ('mbox' in src) {
    const file = resolve(here, src.mbox);
    if (!existsSync(file)) throw new ConfigError(seriesFile, undefined, `patches.mbox: ${file} does not exist`);
    const messages = splitMbox(readPatchFile(file, seriesFile).toString('utf8'));
    const baseCommit = messages.find((m) => m.baseCommit)?.baseCommit;
    const patches = messages.filter((m) => m.hasDiff).map((m) => ({ origin: `${file}, message ${m.index}`, subject: m.subject, data: Buffer.from(m.text) }));
    if (patches.length === 0) throw new ConfigError(seriesFile, undefined, `patches.mbox: ${file} holds no patch`);
    return { patches, ...(baseCommit ? { baseCommit } : {}) };
  }
  if (!tree) throw new ConfigError(seriesFile, undefined, `patches.range '${src.range}' needs --tree (the repository the range is in)`);
  // The folder `git format-patch` writes for the range, read as a folder is: each patch whole, its
  // final newline kept (captured --stdout output lost it, and git am called the last patch corrupt).
  // --end-of-options: the range is a revision, never an option, whatever it starts with.
  const out = mkdtempSync(join(tmpdir(), 'lab-range-'));
  try {
    await git(tree, ['format-patch', '--no-signature', '--output-directory', out, '--end-of-options', src.range]);
    const files = readdirSync(out).filter((f) => f.endsWith('.patch')).sort();
    if (files.length === 0) throw new ConfigError(seriesFile, undefined, `patches.range '${src.range}' holds no commits in ${tree}`);
    return {
      patches: files.map((f, i) => {
        const data = readFileSync(join(out, f));
        return { origin: `${src.range}, patch ${i + 1}`, subject: describePatch(data.toString('utf8')).subject, data };
      }),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
