import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gitProbe } from '../source/git.js';
import { acquireLock } from '../util/lock.js';
import { isDirectory, mtimeMsOrZero, readdirOrNone } from '../util/fs-probe.js';
import { UsageError } from '../util/errors.js';

/**
 * What a folder under `$LAB_CACHE/worktrees/<repo-id>/` is: a build slot (`_<base>-<hash>`: a checkout and its
 * `.lab-build`), the scratch worktree series are applied in (`.apply`), bisect's state (`bisect`), or a per-series
 * worktree an earlier lab made before build slots (any other name: series names start with a letter or digit), which
 * no build of this lab uses again.
 */
export type WorktreeKind = 'slot' | 'apply' | 'bisect' | 'old';

export interface WorktreeEntry {
  path: string;
  name: string;
  kind: WorktreeKind;
  /** The repository it is a worktree of, from its `.git` file; undefined when that is missing or broken. */
  repo?: string;
  /** When a build or an apply last touched it (ms since the epoch). */
  lastUsed: number;
}

export interface PruneChoice {
  entry: WorktreeEntry;
  why: string;
}

/** Pure: the kind of a worktree folder by its name. */
export function worktreeKind(name: string): WorktreeKind {
  if (name.startsWith('_')) return 'slot';
  if (name === '.apply') return 'apply';
  if (name === 'bisect') return 'bisect';
  return 'old';
}

/**
 * Pure: what `lab cache prune` removes. An earlier lab's per-series worktrees always (nothing builds there now);
 * slots, the apply scratch and bisect's state when unused for `olderThanDays` (or all of them with `all`): the next
 * build in a removed slot is a whole build again (with ccache's objects: minutes, not the cold build's).
 */
export function planPrune(
  entries: readonly WorktreeEntry[],
  opts: { now: number; olderThanDays: number; all: boolean },
): PruneChoice[] {
  const out: PruneChoice[] = [];
  for (const entry of entries) {
    if (entry.kind === 'old') {
      out.push({ entry, why: 'a per-series worktree of an earlier lab: builds use build slots now' });
      continue;
    }
    if (opts.all) {
      out.push({ entry, why: '--all' });
      continue;
    }
    const days = (opts.now - entry.lastUsed) / 86_400_000;
    if (days >= opts.olderThanDays) out.push({ entry, why: `unused for ${Math.floor(days)} days` });
  }
  return out;
}

/** Pure: the repository's record of a worktree, from the worktree's `.git` file's text. */
function gitdirOfGitFile(text: string): string | undefined {
  return /^gitdir: (.+)$/m.exec(text)?.[1]?.trim();
}

/** Pure: the repository of a worktree from its `.git` file's text (`gitdir: <repo>/.git/worktrees/<id>`). */
export function repoOfGitFile(text: string): string | undefined {
  const gitdir = gitdirOfGitFile(text);
  if (!gitdir) return undefined;
  const worktrees = dirname(gitdir);
  if (basename(worktrees) !== 'worktrees') return undefined;
  const common = dirname(worktrees);
  return basename(common) === '.git' ? dirname(common) : common;
}

/** The lab's state folder of the worktrees of one repository (config state per slot, build logs per series). */
const STATE = '.lab';

/** Every worktree folder in the cache, with its kind, repository and last use. */
export function scanWorktrees(cache: string): WorktreeEntry[] {
  const root = join(cache, 'worktrees');
  const out: WorktreeEntry[] = [];
  for (const id of safeReaddir(root)) {
    const dir = join(root, id);
    for (const name of safeReaddir(dir)) {
      if (name === STATE || name.endsWith('.lock')) continue;
      const path = join(dir, name);
      if (!isDirectory(path)) continue;
      let gitFile = '';
      try {
        gitFile = readFileSync(join(path, '.git'), 'utf8');
      } catch {
        /* not a worktree (any more): its repository unknown */
      }
      const repo = repoOfGitFile(gitFile);
      // A build rewrites the slot's config state and its .config; an apply or a checkout moves the worktree's HEAD,
      // and a bisect step its BISECT_LOG (both in the repository's record of the worktree, not in the folder).
      const touched = [path, join(path, '.lab-build'), join(path, '.lab-build', '.config'), join(dir, STATE, name)];
      const gitdir = gitdirOfGitFile(gitFile);
      if (gitdir) touched.push(gitdir, join(gitdir, 'HEAD'), join(gitdir, 'BISECT_LOG'));
      const state = join(dir, STATE, name);
      for (const f of safeReaddir(state)) touched.push(join(state, f));
      const lastUsed = Math.max(...touched.map(mtimeMsOrZero));
      out.push({ path, name, kind: worktreeKind(name), ...(repo ? { repo } : {}), lastUsed });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Removes the chosen worktrees, a repository at a time under its build lock (so no build is using a slot while it
 * goes); a repository whose lock another lab process holds is skipped and said. The folder first, then `git worktree
 * prune` drops the repository's record of it; a slot's config state goes with it (its build directory is gone), a
 * series' build logs stay.
 */
export async function removeWorktrees(
  choices: readonly PruneChoice[],
  log: (line: string) => void,
): Promise<{ removed: PruneChoice[]; skipped: WorktreeEntry[] }> {
  const removed: PruneChoice[] = [];
  const skipped: WorktreeEntry[] = [];
  const byRepo = new Map<string, PruneChoice[]>();
  for (const c of choices) {
    const key = c.entry.repo ?? '';
    byRepo.set(key, [...(byRepo.get(key) ?? []), c]);
  }
  for (const [repo, group] of byRepo) {
    // A folder whose repository is unknown is no worktree any build can use (its .git is gone or broken): no lock.
    let release = () => {};
    if (repo) {
      try {
        release = acquireLock(`${repo}.lab-build.lock`, `the source repository ${repo}`);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        log(`skipped (${group.length}): ${e.message}`);
        skipped.push(...group.map((c) => c.entry));
        continue;
      }
    }
    try {
      for (const choice of group) {
        const { entry } = choice;
        // A bisect holds its worktree's own lock for its whole run (its steps build under the repository's).
        let releaseBisect = () => {};
        if (entry.kind === 'bisect') {
          try {
            releaseBisect = acquireLock(`${entry.path}.lock`, `the bisect worktree ${entry.path}`);
          } catch (e) {
            if (!(e instanceof UsageError)) throw e;
            log(`skipped: ${e.message}`);
            skipped.push(entry);
            continue;
          }
        }
        try {
          rmSync(entry.path, { recursive: true, force: true });
        } finally {
          releaseBisect();
        }
        if (entry.kind === 'slot')
          rmSync(join(dirname(entry.path), STATE, entry.name), { recursive: true, force: true });
        removed.push(choice);
      }
      if (repo && existsSync(repo)) await gitProbe(repo, ['worktree', 'prune']);
    } finally {
      release();
    }
  }
  return { removed, skipped };
}

function safeReaddir(dir: string): string[] {
  return readdirOrNone(dir).sort();
}
