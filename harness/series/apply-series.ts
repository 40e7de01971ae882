import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.js';
import { git, gitProbe } from '../source/git.js';
import { failedFiles } from './am-output.js';
import { diagnosePatch, diagnosisLines, type ApplyDiagnosis } from './apply-diagnosis.js';
import type { Patch } from './patch-list.js';

/** A patch that does not apply: names the patch, its subject and the files. Exit 2, like other bad input. */
export class PatchApplyError extends LabError {
  constructor(
    readonly patch: Patch,
    readonly files: string[],
    output: string,
    readonly diagnosis?: ApplyDiagnosis,
    baseCommit?: string,
  ) {
    super(
      [
        diagnosis?.alreadyApplied ? `patch already applied: ${patch.origin}` : `patch does not apply: ${patch.origin}`,
        `  subject: ${patch.subject}`,
        ...(diagnosis?.alreadyApplied ? [] : [`  failed: ${failedList(files, diagnosis)}`]),
        ...(diagnosis ? diagnosisLines(diagnosis, baseCommit) : []),
      ].join('\n'),
      'patch-does-not-apply',
      output.trim().split('\n').slice(-12).join('\n'),
    );
  }
}

/** The files git am named, else those of the hunks the diagnosis found (a failed 3-way merge names none). */
function failedList(files: readonly string[], diagnosis?: ApplyDiagnosis): string {
  const all = files.length ? files : [...new Set((diagnosis?.hunks ?? []).map((h) => h.file))];
  return all.length ? all.join(', ') : '(see git am output)';
}

/**
 * Applies patches onto `base` with `git am -3` in the repository's scratch worktree and returns the
 * resulting commit. Commits get the lab's fixed committer identity and date, so the same base and
 * patches always give the same commit id. On failure the am is aborted and the worktree reset: nothing
 * half-applied stays in the cache.
 */
export async function applySeries(
  repo: string,
  worktree: string,
  base: string,
  patches: readonly Patch[],
  opts: { baseCommit?: string } = {},
): Promise<string> {
  await ensureWorktree(repo, worktree, base);
  await gitProbe(worktree, ['am', '--abort']);
  await git(worktree, ['checkout', '-q', '-f', '--detach', base]);
  await git(worktree, ['clean', '-q', '-f', '-d']);
  const dir = join(worktree, '..', `.patches-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const [i, p] of patches.entries()) {
      const file = join(dir, `${String(i + 1).padStart(4, '0')}.patch`);
      writeFileSync(file, p.data);
      // --keep-cr: CRs that reach here are the patch's own (transport CRLF was removed when it was read);
      // --quoted-cr=strip: a base64/QP body in MIME's CRLF form decodes to LF lines, as the reader saw it.
      const r = await gitProbe(worktree, [
        'am',
        '-3',
        '--keep-cr',
        '--quoted-cr=strip',
        ...(p.mboxrd ? ['--patch-format=mboxrd'] : []),
        '--committer-date-is-author-date',
        file,
      ]);
      if (!r.ok) {
        const output = `${r.stdout}\n${r.stderr}`;
        // Diagnosed before the abort: HEAD is the base plus the patches before this one.
        await gitProbe(worktree, ['am', '--abort']);
        // The decoded diff where the reader has it: git apply reads no base64 or quoted-printable mail.
        const diffFile = `${file}.diff`;
        if (p.diff) writeFileSync(diffFile, p.diff);
        const diagnosis = await diagnosePatch(worktree, p.diff ? diffFile : file);
        await git(worktree, ['checkout', '-q', '-f', '--detach', base]);
        throw new PatchApplyError(p, failedFiles(output), output, diagnosis, opts.baseCommit);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return git(worktree, ['rev-parse', 'HEAD']);
}

/** A detached worktree of `repo` at `path` (made once). */
export async function ensureWorktree(
  repo: string,
  path: string,
  commit: string,
  o: { checkout?: boolean } = {},
): Promise<void> {
  const list = await git(repo, ['worktree', 'list', '--porcelain']);
  if (list.split('\n').includes(`worktree ${path}`)) return;
  await gitProbe(repo, ['worktree', 'prune']);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(join(path, '..'), { recursive: true });
  await git(repo, [
    'worktree',
    'add',
    '-q',
    '--detach',
    ...(o.checkout === false ? ['--no-checkout'] : []),
    path,
    commit,
  ]);
}

/** Moves a worktree to `commit`, touching only the files that differ (keeps incremental builds incremental). */
export async function checkoutForBuild(repo: string, worktree: string, commit: string): Promise<void> {
  await ensureWorktree(repo, worktree, commit);
  await git(worktree, ['checkout', '-q', '-f', '--detach', commit]);
}
