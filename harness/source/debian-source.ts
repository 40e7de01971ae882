import { requireFreeSpace } from '../util/free-space.js';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cachedDeb } from './apt-download.js';
import { publishDir } from '../util/staging.js';
import { dirname, join } from 'node:path';
import { run } from '../util/process.js';
import { InfraError, UsageError } from '../util/errors.js';
import { git } from './git.js';

/** Debian's kernel sources a series can name as its base (bookworm, sid, experimental). */
export const DEBIAN_SOURCES: Readonly<Record<string, string>> = {
  'debian-6.12': 'linux-source-6.12',
  'debian-7.2': 'linux-source-7.2',
  'debian-7.3': 'linux-source-7.3',
};

/** The source a bare `base: debian` means: the newest release, as for prebuilt kernels. */
export const DEFAULT_DEBIAN_SOURCE = 'debian-7.2';

/** A series base naming a Debian source (`debian`, `debian-6.12`, ...), or undefined for a commit of a tree. */
export function debianSourceId(base: string): string | undefined {
  const id = base === 'debian' ? DEFAULT_DEBIAN_SOURCE : base;
  return Object.hasOwn(DEBIAN_SOURCES, id) ? id : /^debian-[0-9]/.test(base) ? base : undefined;
}

/**
 * Debian's linux-source-<version> as a git repository in the cache: fetched with `apt-get download` (the
 * lab's own apt), unpacked once and committed, so `git am`, worktrees and bisect work on it. The commit
 * is made with a fixed identity and date, so every machine gets the same commit id for the same version.
 */
export async function debianSourceRepo(
  cache: string,
  id: string = DEFAULT_DEBIAN_SOURCE,
  log: (s: string) => void = () => {},
): Promise<{ repo: string; base: string; version: string }> {
  const pkg = DEBIAN_SOURCES[id];
  if (!pkg)
    throw new UsageError(
      `no Debian kernel source '${id}'`,
      `known: ${Object.keys(DEBIAN_SOURCES).join(', ')} (debian = ${DEFAULT_DEBIAN_SOURCE})`,
    );
  const dir = join(cache, 'sources', `debian-linux-${pkg.replace(/^linux-source-/, '')}`);
  const done = join(dir, '.lab-ready');
  if (!existsSync(done)) await createRepo(cache, pkg, dir, log);
  const base = await git(dir, ['rev-parse', 'refs/tags/debian-base^{commit}']);
  const version = await git(dir, ['tag', '-l', '--format=%(contents:subject)', 'debian-base']);
  return { repo: dir, base, version };
}

async function createRepo(cache: string, pkg: string, dir: string, log: (s: string) => void): Promise<void> {
  const deb = await cachedDeb(cache, pkg, log);
  const version = await run(['dpkg-deb', '-f', deb, 'Version']);
  const unpacked = `${dir}.deb-${process.pid}`;
  // The tarball, unpacked, then committed to git: about 3 GiB at the peak for a 7.x source.
  requireFreeSpace(dirname(dir), 3 * 1024 ** 3, `unpacking ${pkg} into a git repository`);
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
      await git(tree, ['commit', '-q', '-m', `Debian ${pkg} ${version}`]);
      await git(tree, ['tag', '-a', '-m', version, 'debian-base']);
      writeFileSync(join(tree, '.git', 'info', 'exclude'), '/.lab-ready\n');
      writeFileSync(join(tree, '.lab-ready'), `${version}\n`);
    });
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}
