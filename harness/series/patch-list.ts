import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputFileError } from '../util/errors.js';
import type { SeriesSpec } from '../schema/series.js';
import { git } from '../source/git.js';
import { isMboxrd, readMessage, splitMailbox, type MailMessage } from './mail-read.js';

/** One patch to apply, with where it came from for error messages. */
export interface Patch {
  /** e.g. "kernel/patches/lab-fixture/0002-....patch" or "series.mbx, message 3". */
  origin: string;
  subject: string;
  data: Buffer;
  /** From an mboxrd mailbox: git am unquotes its ">From " lines (--patch-format=mboxrd). */
  mboxrd?: boolean;
  /** The decoded diff (mailinfo's), for the diagnosis of a patch that does not apply. */
  diff?: Buffer;
}

export interface PatchList {
  patches: Patch[];
  /** base-commit named by a cover letter or the patches, if any. */
  baseCommit?: string;
}

/** At most this much per patch file: a larger one is not a patch someone posted. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

/**
 * A patch file's bytes, checked before they are read: a regular file (or a link to one) (a FIFO would block the read
 * for
 * ever, a device never end), of a sane size. Anything else is a config error naming the file.
 */
export function readPatchFile(path: string, seriesFile: string): Buffer {
  // stat, not lstat: a symbolic link to a patch is fine (the fixtures share patches so); what it names is checked.
  const st = statSync(path);
  const kind = st.isFile()
    ? undefined
    : st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
  if (kind) throw new InputFileError(seriesFile, undefined, `patches: ${path} is ${kind}, not a patch file`);
  if (st.size > MAX_PATCH_BYTES)
    throw new InputFileError(
      seriesFile,
      undefined,
      `patches: ${path} is ${st.size} bytes, more than the ${MAX_PATCH_BYTES} a patch may have`,
    );
  return readFileSync(path);
}

/** Pure: a cover letter by git format-patch's file name or its subject ([PATCH 0/N], [RFC PATCH v2 00/12]). */
export function isCoverLetter(file: string, subject: string): boolean {
  return /^0+-cover-letter\.patch$/.test(file) || /\[[^\]]*\b0+\/\d+\]/.test(subject);
}

/** Resolves a series' patch source into the ordered patches (cover letters dropped, their base-commit kept). */
export async function listPatches(
  series: SeriesSpec,
  seriesFile: string,
  tree: string | undefined,
): Promise<PatchList> {
  const src = series.patches;
  if (!src) return { patches: [] };
  const here = dirname(seriesFile);
  if ('dir' in src) {
    const dir = resolve(here, src.dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new InputFileError(seriesFile, undefined, `patches.dir: ${dir} is not a folder`);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.patch'))
      .sort();
    if (files.length === 0) throw new InputFileError(seriesFile, undefined, `patches.dir: no *.patch files in ${dir}`);
    const out: Array<Patch & { patchId?: string | undefined }> = [];
    let baseCommit: string | undefined;
    for (const f of files) {
      const path = join(dir, f);
      const raw = readPatchFile(path, seriesFile);
      const d = await readMessage(raw);
      baseCommit ??= d.baseCommit;
      if (!d.hasDiff) {
        // Only a cover letter may carry no diff; anything else that does is a broken series, not one to skip.
        if (isCoverLetter(f, d.subject)) continue;
        throw new InputFileError(
          seriesFile,
          undefined,
          `patches.dir: ${path} holds no diff${raw.length === 0 ? ' (it is empty)' : ''}; only a cover letter (0000-cover-letter.patch, [PATCH 0/N]) may`,
        );
      }
      out.push({ origin: path, subject: d.subject, data: d.data, diff: d.diff, patchId: d.patchId });
    }
    checkNoDuplicates(out, seriesFile);
    return { patches: out.map(({ patchId: _, ...p }) => p), ...(baseCommit ? { baseCommit } : {}) };
  }
  if ('mbox' in src) {
    const file = resolve(here, src.mbox);
    if (!existsSync(file)) throw new InputFileError(seriesFile, undefined, `patches.mbox: ${file} does not exist`);
    // Checked as a patch file is (regular, bounded), then split and decoded by git itself.
    const mboxrd = isMboxrd(readPatchFile(file, seriesFile).toString('latin1'));
    const messages: MailMessage[] = [];
    for (const raw of await splitMailbox(file)) messages.push(await readMessage(raw));
    const baseCommit = messages.find((m) => m.baseCommit)?.baseCommit;
    const patches = messages.flatMap((m, i) =>
      m.hasDiff
        ? [
            {
              origin: `${file}, message ${i + 1}`,
              subject: m.subject,
              data: m.data,
              diff: m.diff,
              patchId: m.patchId,
              ...(mboxrd ? { mboxrd } : {}),
            },
          ]
        : [],
    );
    if (patches.length === 0)
      throw new InputFileError(
        seriesFile,
        undefined,
        `patches.mbox: ${file} holds no patch (${messages.length} message(s), none with a diff${messages.length === 1 && isCoverLetter('', messages[0]!.subject) ? ': a cover letter alone' : ''})`,
      );
    checkNoDuplicates(patches, seriesFile);
    return { patches: patches.map(({ patchId: _, ...p }) => p), ...(baseCommit ? { baseCommit } : {}) };
  }
  if (!tree)
    throw new InputFileError(
      seriesFile,
      undefined,
      `patches.range '${src.range}' needs --tree (the repository the range is in)`,
    );
  // The folder `git format-patch` writes for the range, read as a folder is: each patch whole, its
  // final newline kept (captured --stdout output lost it, and git am called the last patch corrupt).
  // --end-of-options: the range is a revision, never an option, whatever it starts with.
  const out = mkdtempSync(join(tmpdir(), 'lab-range-'));
  try {
    await git(tree, ['format-patch', '--no-signature', '--output-directory', out, '--end-of-options', src.range]);
    const files = readdirSync(out)
      .filter((f) => f.endsWith('.patch'))
      .sort();
    if (files.length === 0)
      throw new InputFileError(seriesFile, undefined, `patches.range '${src.range}' holds no commits in ${tree}`);
    return {
      patches: await Promise.all(
        files.map(async (f, i) => {
          const data = readFileSync(join(out, f));
          return { origin: `${src.range}, patch ${i + 1}`, subject: (await readMessage(data)).subject, data };
        }),
      ),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The same change twice (a resend in one thread, a patch file copied under two names): git am would stop
 * at the second as a conflict with itself. Named here, both places, before anything is applied.
 */
function checkNoDuplicates(
  patches: ReadonlyArray<{ origin: string; subject: string; patchId?: string | undefined }>,
  seriesFile: string,
): void {
  const seen = new Map<string, { origin: string; subject: string }>();
  for (const p of patches) {
    if (!p.patchId) continue;
    const first = seen.get(p.patchId);
    if (first)
      throw new InputFileError(
        seriesFile,
        undefined,
        `the same patch twice: ${p.origin} is ${first.origin} again (${first.subject}; same git patch-id); keep one`,
      );
    seen.set(p.patchId, p);
  }
}
