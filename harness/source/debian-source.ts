import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cachedDeb } from './apt-download.js';
import { publishDir } from '../util/staging.js';
import { join } from 'node:path';
import { run } from '../util/process.js';
import { InfraError } from '../util/errors.js';
import { git } from './git.js';

export const DEBIAN_SOURCE_PACKAGE = 'linux-source-6.12';

/**
 * Debian's linux-source-6.12 as a git repository in the cache: fetched with apt-get download, unpacked
 * once and committed, so `git am`, worktrees and bisect work on it. The commit is made with a fixed
 * identity and date, so every machine gets the same commit id for the same package version.
 */
export async function debianSourceRepo(cache: string, log: (s: string) => void = () => {}): Promise<{ repo: string; base: string; version: string }> {
  const dir = join(cache, 'sources', 'debian-linux-6.12');
  const done = join(dir, '.lab-ready');
  if (!existsSync(done)) await createRepo(cache, dir, log);
  const base = await git(dir, ['rev-parse', 'refs/tags/debian-base^{commit}']);
  const version = await git(dir, ['tag', '-l', '--format=%(contents:subject)', 'debian-base']);
  return { repo: dir, base, version };
}

async function createRepo(cache: string, dir: string, log: (s: string) => void): Promise<void> {
  const deb = await cachedDeb(cache, DEBIAN_SOURCE_PACKAGE, log);
  const version = await run(['dpkg-deb', '-f', deb, 'Version']);
  const unpacked = `${dir}.deb-${process.pid}`;
  try {
    await publishDir(dir, async (tree) => {
      log(`unpacking ${deb}`);
      await run(['dpkg-deb', '-x', deb, unpacked]);
      const srcDir = join(unpacked, 'usr', 'src');
      const tarball = readdirSync(srcDir).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f));
      if (!tarball) throw new InfraError(`${deb} holds no linux-source tarball in /usr/src`);
      await run(['tar', '-xf', join(srcDir, tarball), '-C', tree, '--strip-components=1']);
      rmSync(unpacked, { recursive: true, force: true });
      log('committing the source into a git repository (once)');
      await git(tree, ['init', '-q', '-b', 'debian']);
      await git(tree, ['config', 'gc.auto', '0']);
      // Debian's .gitignore ignores everything at the top level ("/*"): force-add the whole tarball.
      await git(tree, ['add', '-A', '-f']);
      await git(tree, ['commit', '-q', '-m', `Debian ${DEBIAN_SOURCE_PACKAGE} ${version}`]);
      await git(tree, ['tag', '-a', '-m', version, 'debian-base']);
      writeFileSync(join(tree, '.git', 'info', 'exclude'), '/.lab-ready\n');
      writeFileSync(join(tree, '.lab-ready'), `${version}\n`);
    });
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}
