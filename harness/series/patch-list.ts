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
      const data = readFileSync(join(dir, f));
      const d = describePatch(data.toString('utf8'));
      baseCommit ??= d.baseCommit;
      if (!d.hasDiff) continue; // 0000-cover-letter.patch
      out.push({ origin: join(dir, f), subject: d.subject, data });
    }
    return { patches: out, ...(baseCommit ? { baseCommit } : {}) };
  }
  if ('mbox' in src) {
    const file = resolve(here, src.mbox);
    if (!existsSync(file)) throw new ConfigError(seriesFile, undefined, `patches.mbox: ${file} does not exist`);
    const messages = splitMbox(readFileSync(file, 'utf8'));
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
