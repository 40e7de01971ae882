import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { SeriesSpec } from '../schema/series.js';
import type { KernelChoice } from '../run/run-plan.js';
import { fragmentFiles } from '../kconfig/config-plan.js';

/** One thing `lab run --watch` looks at: a file, or a folder and everything under it. */
export interface WatchedInput {
  path: string;
  /** What it is to the build, for the "changed:" line. */
  what: string;
}

/**
 * Where a git tree keeps its refs: HEAD, packed-refs and refs/ of its git dir (a worktree's `.git` file names it; its
 * refs are in the common dir). The lab builds commits of a --tree, never its uncommitted files: a new commit, an
 * amend, a rebase or a checkout is what changes the build.
 */
export function gitRefPaths(tree: string): string[] {
  const top = resolve(tree);
  const dotGit = join(top, '.git');
  let gitDir = top; // a bare repository is its own git dir
  if (existsSync(dotGit)) {
    gitDir = dotGit;
    if (statSync(dotGit).isFile()) {
      const named = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
      if (named) gitDir = isAbsolute(named) ? named : resolve(top, named);
    }
  }
  const commonFile = join(gitDir, 'commondir');
  const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
  return [join(gitDir, 'HEAD'), join(common, 'packed-refs'), join(common, 'refs')];
}

/**
 * Pure apart from reading the tree's `.git`: what a run's kernel is made of, to watch. A series: its file, its patches
 * (the folder, or the mbox; a git range lives in the tree's refs), its config fragments, and the --tree's refs. A
 * prebuilt kernel (`--kernel`, a build directory or bzImage the developer's own `make` writes): the image, its
 * .config and the modules folder. Debian's kernels do not change: nothing.
 */
export function watchedInputs(kernel: KernelChoice, series?: { spec: SeriesSpec; file: string }): WatchedInput[] {
  if (kernel.kind === 'prebuilt') {
    const p = resolve(kernel.path);
    const isDir = existsSync(p) && statSync(p).isDirectory();
    return [
      { path: isDir ? join(p, 'arch', 'x86', 'boot', 'bzImage') : p, what: 'kernel image' },
      {
        path: kernel.kconfig ? resolve(kernel.kconfig) : isDir ? join(p, '.config') : join(dirname(p), '.config'),
        what: 'kernel config',
      },
      ...(kernel.modules ? [{ path: resolve(kernel.modules), what: 'modules' }] : []),
    ];
  }
  if (!series) return [];
  const { spec, file } = series;
  const src = spec.patches;
  const here = dirname(file);
  const tree = kernel.kind === 'series' ? kernel.tree : undefined;
  return [
    { path: resolve(file), what: 'series file' },
    ...(src && 'dir' in src ? [{ path: resolve(here, src.dir), what: 'patches' }] : []),
    ...(src && 'mbox' in src ? [{ path: resolve(here, src.mbox), what: 'patches (mbox)' }] : []),
    ...fragmentFiles(spec, file).map((f) => ({ path: f.path, what: `config fragment ${f.name}` })),
    ...(tree ? gitRefPaths(tree).map((path) => ({ path, what: `tree ${tree} refs` })) : []),
  ];
}

/** More entries than this under one watched folder are not looked at (a watch is a second's poll, not a scan). */
const MAX_ENTRIES = 20000;

/**
 * The state of one input now, as a string that changes when its content may have: for a file its size, mtime, ctime
 * and inode (an editor's save-by-rename changes the inode); for a folder the same for every entry under it, by
 * relative path; "absent" for nothing there. lstat: a symbolic link is followed only for the link itself and its target.
 */
export function inputState(path: string): string {
  const parts: string[] = [];
  const one = (p: string, rel: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      parts.push(`${rel}:absent`);
      return;
    }
    parts.push(`${rel}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`);
    if (!st.isDirectory() || lstatSync(p).isSymbolicLink()) return;
    let names: string[];
    try {
      names = readdirSync(p).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (parts.length >= MAX_ENTRIES) return;
      one(join(p, n), `${rel}/${n}`);
    }
  };
  one(path, '.');
  return parts.join('\n');
}

/** Pure: the inputs whose state differs between two readings (by path). */
export function changedInputs(
  inputs: readonly WatchedInput[],
  before: ReadonlyMap<string, string>,
  now: ReadonlyMap<string, string>,
): WatchedInput[] {
  return inputs.filter((i) => before.get(i.path) !== now.get(i.path));
}

/** Every input's state now, by path. */
export function readStates(inputs: readonly WatchedInput[]): Map<string, string> {
  return new Map(inputs.map((i) => [i.path, inputState(i.path)]));
}
