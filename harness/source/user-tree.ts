import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashParts } from '../util/hash.js';
import { UsageError } from '../util/errors.js';
import { git, gitProbe } from './git.js';

const fetched = new Set<string>();

/**
 * A user's tree, never modified: the lab works in a `git clone --shared` of it in the cache (objects are
 * borrowed through alternates, nothing is written to the user's repository), fetched again by each lab process that
 * builds from it.
 */
export async function userTreeClone(
  cache: string,
  tree: string,
  log: (s: string) => void = () => {},
): Promise<{ repo: string; base: string }> {
  const path = resolve(tree);
  // Every way a --tree can be wrong is a sentence and exit 2, never git's error as an infrastructure fault.
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`--tree ${tree}: no such folder`);
  }
  if (!st.isDirectory())
    throw new UsageError(`--tree ${tree}: a file, not a git tree (name the folder of a checkout or a bare repository)`);
  const top = await gitProbe(path, ['rev-parse', '--show-toplevel']);
  // A bare repository has no top level: the repository itself is the tree to clone.
  const bare = top.ok ? false : (await gitProbe(path, ['rev-parse', '--is-bare-repository'])).stdout.trim() === 'true';
  if (!top.ok && !bare) throw new UsageError(`--tree ${tree}: not a git repository`);
  if (!(await gitProbe(path, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).ok) {
    throw new UsageError(`--tree ${tree}: has no commits (HEAD names none): commit the tree first, or name another`);
  }
  const source = bare ? path : top.stdout.trim();
  const repo = join(cache, 'sources', `tree-${hashParts([['tree', source]]).slice(0, 12)}`);
  if (!existsSync(join(repo, '.git'))) {
    log(`cloning ${source} into the cache (shared objects; your tree is not touched)`);
    mkdirSync(join(repo, '..'), { recursive: true });
    await git(join(repo, '..'), ['clone', '-q', '--shared', '--no-checkout', source, repo]);
  } else if (!fetched.has(repo)) {
    await git(repo, ['fetch', '-q', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  }
  // Once per process: a bisect or patchcheck builds many commits of a tree that does not change under it.
  fetched.add(repo);
  const head = await git(path, ['rev-parse', 'HEAD']);
  return { repo, base: head };
}
