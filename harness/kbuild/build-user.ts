import { lstatSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { probe, run } from '../util/process.js';
import { UsageError } from '../util/errors.js';
import { BuildError } from './build-errors.js';

/**
 * Who runs a build's make. A kernel build runs the tree's own Makefiles, Kconfig and scripts: other
 * people's patches. When the lab runs as root, those run as an unprivileged system user of their own,
 * `damon-lab-build`: it writes only the build directory, ccache and an install staging folder it is
 * handed, and reads what any user may read. Everything the root lab takes back from it (the .config,
 * kernel.release, the installed modules and kernels) is read with that user's rights or taken over
 * with its symlinks and special files checked, so no planted link makes root read or write elsewhere.
 *
 * Not root already (a user's own lab): builds run as that user, nothing to drop.
 * LAB_BUILD_AS_ROOT=1: builds run as root, as before (for a host where a system user cannot be added).
 */
export const BUILD_USER = 'damon-lab-build';

export interface Builder {
  /** Who builds, for the log: `damon-lab-build (uid 998)` or `root` or the invoking user. */
  readonly who: string;
  /** The argv that runs `argv` as the build user (setpriv; no capabilities, no new privileges). */
  argv(argv: readonly string[]): string[];
  /** Environment the build user's commands get on top of the caller's. */
  readonly env: Record<string, string>;
  /** Makes `dir` (created if missing; a symlink is refused) the build user's own, whole, when it is not already. */
  own(dir: string): Promise<void>;
  /** Reads a file the build wrote, with the build user's rights: a link it planted reaches nothing of root's. */
  read(path: string): Promise<string>;
  /**
   * Takes a folder the build user filled back as root's (owner root, recursively, links not followed),
   * then checks it: a FIFO, socket or device is a BuildError; a symlink is removed and named in the log.
   */
  reclaim(dir: string, log: (l: string) => void): Promise<void>;
}

/** The builder for a root lab without a build user, or a lab not run as root: the current user builds. */
export function currentUserBuilder(): Builder {
  const who =
    process.getuid?.() === 0 ? 'root (LAB_BUILD_AS_ROOT=1)' : (process.env.USER ?? `uid ${process.getuid?.()}`);
  return {
    who,
    argv: (argv) => [...argv],
    env: {},
    own: async () => {},
    read: async (path) => run(['cat', '--', path], { stripFinalNewline: false }),
    reclaim: async (dir, log) => checkReclaimed(dir, log),
  };
}

/** The ids of the build user, or undefined when it does not exist. */
async function lookupBuildUser(): Promise<{ uid: number; gid: number } | undefined> {
  const r = await probe(['getent', 'passwd', BUILD_USER]);
  if (!r.ok) return undefined;
  const f = r.stdout.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Creates the build user (system account, own group, no home, no login shell) when missing. */
export async function ensureBuildUser(log: (l: string) => void): Promise<{ uid: number; gid: number }> {
  const found = await lookupBuildUser();
  if (found) return found;
  log(`creating the system user ${BUILD_USER}: kernel builds (other people's Makefiles) run as it, not as root`);
  await run([
    'useradd',
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    '--comment',
    'damon-lab kernel builds',
    BUILD_USER,
  ]);
  const made = await lookupBuildUser();
  if (!made) throw new Error(`useradd said it made ${BUILD_USER}, and getent does not know it`);
  return made;
}

/** Pure: the setpriv argv that runs `argv` as uid/gid with no supplementary groups, capabilities or new privileges. */
export function dropPrivilegesArgv(ids: { uid: number; gid: number }, argv: readonly string[]): string[] {
  return [
    'setpriv',
    `--reuid=${ids.uid}`,
    `--regid=${ids.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    ...argv,
  ];
}

/**
 * The builder for this process: the build user when the lab runs as root (created on first use, as
 * `lab setup` does), else the current user. The cache root becomes traversable by the build user's
 * group only (0710 root:damon-lab-build): what lies below keeps its own modes (images and keys 0600/0700).
 */
export async function chooseBuilder(
  cache: string,
  log: (l: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Builder> {
  if (process.getuid?.() !== 0 || env.LAB_BUILD_AS_ROOT === '1') return currentUserBuilder();
  const ids = await ensureBuildUser(log);
  await run(['chown', `0:${ids.gid}`, cache]);
  await run(['chmod', '0710', cache]);
  // It must reach the cache through every parent folder (a cache under /root, 0700, it cannot): asked of
  // the kernel itself, as that user, so ACLs and group modes count as they will for make.
  if (!(await probe(dropPrivilegesArgv(ids, ['sh', '-c', 'cd -- "$1"', 'sh', cache]))).ok) {
    throw new UsageError(
      `the build user ${BUILD_USER} cannot reach the cache ${cache}: one of its parent folders is closed to other users (as /root is)`,
      `point LAB_CACHE at a folder others may pass through (a root lab's default is /var/cache/damon-lab), or set LAB_BUILD_AS_ROOT=1 to build as root`,
    );
  }
  const owner = `${ids.uid}:${ids.gid}`;
  return {
    who: `${BUILD_USER} (uid ${ids.uid})`,
    argv: (argv) => dropPrivilegesArgv(ids, argv),
    env: { HOME: '/nonexistent', USER: BUILD_USER, LOGNAME: BUILD_USER },
    own: async (dir) => {
      await run(['mkdir', '-p', '--', dir]);
      if (lstatSync(dir).isSymbolicLink())
        throw new BuildError(`${dir} is a symbolic link; the lab builds only in folders it made`, dir, []);
      // Whole or not at all: anything in it of another owner (a build as root before, a raw make) means
      // a chown of the whole (find stops at the first such file: a tenth of a second on a kernel's objects).
      const foreign = await run([
        'find',
        dir,
        '(',
        '!',
        '-user',
        String(ids.uid),
        '-o',
        '!',
        '-group',
        String(ids.gid),
        ')',
        '-print',
        '-quit',
      ]);
      if (foreign.trim()) await run(['chown', '-R', '--no-dereference', owner, '--', dir]);
    },
    read: async (path) => run(dropPrivilegesArgv(ids, ['cat', '--', path]), { stripFinalNewline: false }),
    reclaim: async (dir, log) => {
      await run(['chown', '-R', '--no-dereference', '0:0', '--', dir]);
      checkReclaimed(dir, log);
    },
  };
}

/**
 * Walks a folder taken back from a build: no special files, and no symlinks (each is removed and named:
 * modules_install's `build` link to the build directory is one; none is needed to boot or test, and a
 * link is what would turn a later read by root into a read of anything).
 */
export function checkReclaimed(dir: string, log: (l: string) => void): void {
  const root = resolve(dir);
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) {
        log(`  dropped the link ${relative(root, p)} (to ${readlinkSync(p)}): installed files are taken as files only`);
        rmSync(p);
      } else if (!st.isFile()) {
        throw new BuildError(
          `the build installed ${relative(root, p)}, which is not a regular file, folder or link (a FIFO, socket or device); the lab does not publish it`,
          p,
          [],
        );
      }
    }
  };
  walk(root);
}
