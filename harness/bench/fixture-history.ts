import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { debianSourceRepo } from '../source/debian-source.js';
import { git, gitProbe } from '../source/git.js';
import { readMessage } from '../series/mail-read.js';
import { repoRoot } from '../util/paths.js';
import { run } from '../util/process.js';
import { hashParts } from '../util/hash.js';

export interface FixtureHistory {
  /** A git repository (objects borrowed from the Debian source repo) to pass as --tree. */
  tree: string;
  /** Debian 6.12 plus the lab-fixture patches: the fixture module and its passing KUnit suite. */
  good: string;
  /** Six commits later: one does not build, one makes damon_lab_fixture_test_clamped fail. */
  bad: string;
  commits: Array<{ sha: string; subject: string }>;
}

/**
 * The fixture history for bisect tests and the bisect benchmark: Debian's 6.12 source, then the
 * lab-fixture patches, then kernel/patches/bisect-fixture (a harmless commit, a commit that does not
 * build, its fix, the commit that breaks a KUnit case, two harmless commits). Made with plumbing (a
 * temporary index and `git apply --cached`), so no kernel tree is checked out; made once per cache.
 */
export async function fixtureHistory(cache: string): Promise<FixtureHistory> {
  const { repo, base } = await debianSourceRepo(cache, 'debian-6.12');
  const fixture = patchFiles(join(repoRoot(), 'kernel', 'patches', 'lab-fixture'));
  const patches = [...fixture, ...patchFiles(join(repoRoot(), 'kernel', 'patches', 'bisect-fixture'))];
  // Named by the patches' contents: a changed fixture makes a new history rather than reusing a stale one.
  const tree = join(
    cache,
    'fixtures',
    `bisect-history-${hashParts(patches.map((p): [string, Buffer] => ['patch', readFileSync(p)])).slice(0, 10)}`,
  );
  if (
    !existsSync(join(tree, 'HEAD')) ||
    !(await gitProbe(tree, ['rev-parse', '--verify', '--quiet', 'refs/tags/fixture-bad'])).ok
  ) {
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(dirname(tree), { recursive: true });
    await git(dirname(tree), ['clone', '-q', '--bare', '--shared', repo, tree]);
    const index = join(tmpdir(), `lab-fixture-index-${process.pid}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      let parent = base;
      await git(tree, ['read-tree', parent], env);
      for (const [i, file] of patches.entries()) {
        await run(['git', '-C', tree, 'apply', '--cached', file], { env: { ...env, HOME: '/nonexistent' } });
        const treeId = (await git(tree, ['write-tree'], env)).trim();
        const subject = (await readMessage(readFileSync(file))).subject.replace(/^\[PATCH[^\]]*\]\s*/, '');
        parent = (await git(tree, ['commit-tree', treeId, '-p', parent, '-m', subject], env)).trim();
        if (i === fixture.length - 1) await git(tree, ['tag', 'fixture-good', parent]);
      }
      await git(tree, ['tag', 'fixture-bad', parent]);
      await git(tree, ['update-ref', 'refs/heads/fixture', parent]);
      await git(tree, ['symbolic-ref', 'HEAD', 'refs/heads/fixture']);
    } finally {
      rmSync(index, { force: true });
    }
  }
  const good = (await git(tree, ['rev-parse', 'fixture-good^{commit}'])).trim();
  const bad = (await git(tree, ['rev-parse', 'fixture-bad^{commit}'])).trim();
  const log = (await git(tree, ['log', '--reverse', '--format=%H %s', `${good}..${bad}`])).trim().split('\n');
  return { tree, good, bad, commits: log.map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) })) };
}

function patchFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch') && !f.startsWith('0000-'))
    .sort()
    .map((f) => join(dir, f));
}
