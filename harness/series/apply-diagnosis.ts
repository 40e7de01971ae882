import { gitProbe } from '../source/git.js';

/**
 * Why a patch does not apply, in the words a kernel developer needs: which hunk (file and line) found
 * no matching context, which identifiers that context expects and the tree lacks (a series based on a
 * development tree names fields and functions no release has), or that the patch is already in the
 * tree (it applies in reverse), which is no conflict at all.
 */
export interface FailedHunk {
  file: string;
  line: number;
  /** The lines git searched for and did not find (the hunk's context and removed lines). */
  searched: string[];
}

export interface ApplyDiagnosis {
  alreadyApplied: boolean;
  hunks: FailedHunk[];
  /** Identifiers of the failed hunks' context that the tree does not have: in the file, or anywhere. */
  missing: Array<{ identifier: string; file: string; nowhere: boolean }>;
}

/** Pure: the failed hunks in `git apply --check -v` output. */
export function parseApplyCheck(output: string): FailedHunk[] {
  const hunks: FailedHunk[] = [];
  const lines = output.split('\n');
  let searched: string[] | undefined;
  for (const line of lines) {
    if (line === 'error: while searching for:') {
      searched = [];
      continue;
    }
    const failed = /^error: patch failed: (.+):(\d+)$/.exec(line);
    if (failed) {
      hunks.push({
        file: failed[1]!,
        line: Number(failed[2]),
        searched: (searched ?? []).filter((l) => l.trim() !== ''),
      });
      searched = undefined;
      continue;
    }
    if (searched && !line.startsWith('error: ')) searched.push(line);
  }
  return hunks;
}

const C_WORDS = new Set([
  'struct',
  'return',
  'static',
  'const',
  'unsigned',
  'signed',
  'long',
  'void',
  'while',
  'sizeof',
  'break',
  'continue',
  'default',
  'switch',
  'case',
  'else',
  'goto',
  'inline',
  'extern',
  'bool',
  'true',
  'false',
  'NULL',
  'int',
  'char',
  'for',
  'if',
  'u64',
  'u32',
  'u8',
  'u16',
  'size_t',
  'enum',
  'union',
  'typedef',
  'list_for_each_entry',
  'mutex_lock',
  'mutex_unlock',
]);

/**
 * Pure: identifiers worth looking up from context lines: fields (after `->`/`.`), functions and macros
 * (before a parenthesis) and CONSTANTS, not comments or C keywords, in order of appearance, at most `limit`.
 */
export function contextIdentifiers(lines: readonly string[], limit = 16): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    const code = raw.replace(/\/\*.*?(\*\/|$)|\/\/.*$|"(?:[^"\\]|\\.)*"/g, ' ');
    if (/^\s*\*/.test(code)) continue;
    for (const m of code.matchAll(/(->|\.)?\b([A-Za-z_][A-Za-z0-9_]{3,})\b(\s*\()?/g)) {
      const id = m[2]!;
      if (C_WORDS.has(id) || out.includes(id)) continue;
      // Fields (after -> or .), functions and macros (before a parenthesis), CONSTANTS: what a tree defines.
      // A plain lower-case word is most likely a local variable, which says nothing about the tree.
      if (!m[1] && !m[3] && !/^[A-Z][A-Z0-9_]+$/.test(id)) continue;
      out.push(id);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Diagnoses `patchFile` against the worktree's current HEAD (the base plus the patches before it). */
export async function diagnosePatch(worktree: string, patchFile: string): Promise<ApplyDiagnosis> {
  const reverse = await gitProbe(worktree, ['apply', '--check', '--reverse', patchFile]);
  if (reverse.ok) return { alreadyApplied: true, hunks: [], missing: [] };
  const check = await gitProbe(worktree, ['apply', '--check', '--verbose', patchFile]);
  const hunks = parseApplyCheck(`${check.stdout}\n${check.stderr}`);
  const missing: ApplyDiagnosis['missing'] = [];
  for (const h of hunks) {
    for (const id of contextIdentifiers(h.searched)) {
      if (missing.some((m) => m.identifier === id)) continue;
      // -- after the pattern: the file name is a path, never an option.
      const inFile = await gitProbe(worktree, ['grep', '-q', '-w', '-F', '-e', id, 'HEAD', '--', h.file]);
      if (inFile.ok) continue;
      const anywhere = await gitProbe(worktree, ['grep', '-q', '-w', '-F', '-e', id, 'HEAD', '--', 'mm', 'include']);
      missing.push({ identifier: id, file: h.file, nowhere: !anywhere.ok });
    }
  }
  return { alreadyApplied: false, hunks, missing };
}

/** Pure: the diagnosis as lines of the error message, with what to do. */
export function diagnosisLines(d: ApplyDiagnosis, baseCommit?: string): string[] {
  if (d.alreadyApplied)
    return [
      '  the tree already has this change: the patch applies in reverse (drop it from the series, or use an older base)',
    ];
  const lines: string[] = [];
  for (const h of d.hunks.slice(0, 4)) {
    lines.push(`  hunk at ${h.file}:${h.line}: its context is not in the tree; git searched for:`);
    lines.push(
      ...h.searched.slice(0, 6).map((l) => `    | ${l}`),
      ...(h.searched.length > 6 ? [`    | ... (${h.searched.length - 6} more)`] : []),
    );
  }
  const nowhere = d.missing.filter((m) => m.nowhere);
  const notInFile = d.missing.filter((m) => !m.nowhere);
  if (nowhere.length)
    lines.push(
      `  its context uses ${nowhere.map((m) => m.identifier).join(', ')}, which the tree has nowhere (mm/, include/): the series is based on another tree`,
    );
  if (notInFile.length)
    lines.push(
      `  and ${notInFile.map((m) => `${m.identifier}`).join(', ')}, which ${notInFile[0]!.file} does not have`,
    );
  if (baseCommit) lines.push(`  the series says base-commit: ${baseCommit}; this tree does not have that commit`);
  lines.push(
    `  to build it: --tree PATH with a checkout that has ${baseCommit ? `commit ${baseCommit}` : "the series' base"} (and base: that commit), or a port of the series to this tree`,
  );
  return lines;
}
