import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  const debs = join(cache, 'debs');
  mkdirSync(debs, { recursive: true });
  let deb = readdirSync(debs).find((f) => f.startsWith(`${DEBIAN_SOURCE_PACKAGE}_`) && f.endsWith('.deb'));
  if (!deb) {
    log(`fetching ${DEBIAN_SOURCE_PACKAGE} with apt-get download`);
    const tmp = join(debs, `.tmp-src-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    try {
      await run(['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root', DEBIAN_SOURCE_PACKAGE], { cwd: tmp });
      deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
      if (!deb) throw new InfraError(`apt-get download ${DEBIAN_SOURCE_PACKAGE} produced no .deb`);
      renameSync(join(tmp, deb), join(debs, deb));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const version = await run(['dpkg-deb', '-f', join(debs, deb), 'Version']);
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    log(`unpacking ${deb}`);
    await run(['dpkg-deb', '-x', join(debs, deb), join(staging, 'deb')]);
    const srcDir = join(staging, 'deb', 'usr', 'src');
    const tarball = readdirSync(srcDir).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f));
    if (!tarball) throw new InfraError(`${deb} holds no linux-source tarball in /usr/src`);
    const tree = join(staging, 'tree');
    mkdirSync(tree);
    await run(['tar', '-xf', join(srcDir, tarball), '-C', tree, '--strip-components=1']);
    rmSync(join(staging, 'deb'), { recursive: true, force: true });
    log('committing the source into a git repository (once)');
    await git(tree, ['init', '-q', '-b', 'debian']);
    await git(tree, ['config', 'gc.auto', '0']);
    // Debian's .gitignore ignores everything at the top level ("/*"): force-add the whole tarball.
    await git(tree, ['add', '-A', '-f']);
    await git(tree, ['commit', '-q', '-m', `Debian ${DEBIAN_SOURCE_PACKAGE} ${version}`]);
    await git(tree, ['tag', '-a', '-m', version, 'debian-base']);
    writeFileSync(join(tree, '.git', 'info', 'exclude'), '/.lab-ready\n');
    writeFileSync(join(tree, '.lab-ready'), `${version}\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '..'), { recursive: true });
    renameSync(tree, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
