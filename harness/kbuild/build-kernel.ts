import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { checkSealed, sealFile } from '../util/sealed-file.js';
import { requireFreeSpace } from '../util/free-space.js';
import { publishDir } from '../util/staging.js';
import { waitForLock } from '../util/lock.js';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { hashParts } from '../util/hash.js';
import { repoRoot } from '../util/paths.js';
import { probe } from '../util/process.js';
import { InputFileError } from '../util/errors.js';
import type { BaseConfig, SeriesSpec } from '../schema/series.js';
import { DEFAULT_DEBIAN_SOURCE, debianSourceId, debianSourceRepo } from '../source/debian-source.js';
import { userTreeClone } from '../source/user-tree.js';
import { git, gitProbe } from '../source/git.js';
import { listPatches } from '../series/patch-list.js';
import { applySeries, checkoutForBuild } from '../series/apply-series.js';
import { fragmentFiles, makefileVersion, resolveFragments } from '../kconfig/config-plan.js';
import { makeConfig } from '../kconfig/make-config.js';
import { parseKernelConfig } from '../kernel/kconfig.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import { BuildError } from './build-errors.js';
import { runMake } from './make-runner.js';
import { chooseBuilder, type Builder } from './build-user.js';
import { artifactKey, buildInputKey } from './cache-keys.js';

export interface BuildRequest {
  series: SeriesSpec;
  seriesFile: string;
  /** A user's git tree (never modified); default: Debian's linux-source-6.12. */
  tree?: string;
  cache: string;
  log: (line: string) => void;
}

export interface BuildResult {
  artifact: KernelArtifact;
  artifactDir: string;
  /** True when the artifact cache answered and no make ran at all. */
  cached: boolean;
  commit: string;
  seconds: number;
}

interface ArtifactMeta {
  key: string;
  release: string;
  series: string;
  commit: string;
  base: string;
  patches: Array<{ origin: string; subject: string }>;
  configSha: string;
  toolchain: string;
  buildSeconds: number;
}

/** The compiler and make versions: a new toolchain must not reuse old objects' artifact. */
async function toolchainId(): Promise<string> {
  const gcc = (await probe(['gcc', '--version'])).stdout.split('\n')[0] ?? '';
  const make = (await probe(['make', '--version'])).stdout.split('\n')[0] ?? '';
  return `${gcc} | ${make}`;
}

/** The worktree a series builds in: one per repository and series name, reused by every build of it. */
export function seriesWorktree(cache: string, repo: string, name: string): string {
  return join(cache, 'worktrees', hashParts([['repo', repo]]).slice(0, 12), name);
}

/**
 * Pure: the build slot of a series, the name of the worktree and build directory it builds in. Series of one
 * repository with the same base config and the same fragment files share one: a kernel tree costs a whole build
 * the first time (minutes, even with every object in ccache: 2.5 min here for the lab config), and an incremental
 * one after, whatever series built there last (kbuild rebuilds what a checkout or a .config change touched). Inline
 * `config:` values are left out of the name, so a series that only sets a few options (a version string, a test
 * module) builds where its neighbours do; fragments that change most objects (KASAN, the console-only base) get
 * slots of their own, so switching between two such configs does not rebuild the tree each time. A leading `_`: a
 * series name starts with a letter or digit, so no slot is a series' worktree (bisect keeps one by name).
 */
export function buildSlot(series: Pick<SeriesSpec, 'base_config' | 'configs'>, seriesFile: string): string {
  // The lab's own fragments by name (two checkouts of the lab sharing a cache share slots), others by their path.
  const own = join(repoRoot(), 'kernel', 'configs');
  const files = fragmentFiles(series, seriesFile).map((f) =>
    f.path === join(own, `${f.name}.config`) ? `lab:${f.name}` : f.path,
  );
  return `_${series.base_config}-${hashParts([['fragments', files.join('\n')]]).slice(0, 10)}`;
}

/**
 * The O= directory of a worktree: a direct child of the source tree, so kbuild calls the tree ".." and
 * no absolute path reaches the compiler. With CCACHE_NOHASHDIR, two series (or two versions of one
 * series) then share ccache's objects for every file they have in common.
 */
export function objDir(worktree: string): string {
  return join(worktree, '.lab-build');
}

/**
 * The lab's own folder for a series' build (log, config state, fragments): beside the worktrees, never
 * inside a checkout and never writable by the build user, so neither a tree's content nor a build can
 * choose where the lab writes. (Series names start with a letter or digit: `.lab` is no series' worktree.)
 */
export function labBuildDir(cache: string, repo: string, name: string): string {
  return join(dirname(seriesWorktree(cache, repo, name)), '.lab', name);
}

function buildDirTaken(buildDir: string, seriesFile: string, what: string): InputFileError {
  return new InputFileError(
    seriesFile,
    undefined,
    `the tree to build has its own ${buildDir} (${what}): that name is the lab's build directory; remove it from the patches or the tree`,
  );
}

/** A commit that tracks a `.lab-build` of its own (a link, a folder, a file) is refused before any checkout. */
async function checkCommitLeavesBuildDir(
  repo: string,
  commit: string,
  buildDir: string,
  seriesFile: string,
): Promise<void> {
  const r = await gitProbe(repo, ['ls-tree', commit, '--', basename(buildDir)]);
  const mode = r.ok ? r.stdout.trim().split(/\s/)[0] : undefined;
  if (!mode) return;
  throw buildDirTaken(
    buildDir,
    seriesFile,
    mode === '120000' ? 'a symbolic link' : mode === '040000' ? 'a folder git tracks' : 'a file',
  );
}

/**
 * The build directory must be the lab's: a tree (a patch, a base commit, a --tree) that has its own
 * `.lab-build` (a symlink to somewhere, say) is refused before a single write lands there.
 */
async function checkBuildDirIsOurs(worktree: string, buildDir: string, seriesFile: string): Promise<void> {
  const taken = (what: string) => buildDirTaken(buildDir, seriesFile, what);
  let st;
  try {
    st = lstatSync(buildDir);
  } catch {
    return; // absent: the lab makes it
  }
  if (st.isSymbolicLink() || !st.isDirectory()) throw taken(st.isSymbolicLink() ? 'a symbolic link' : 'a file');
  // A folder the tree tracks (files of its own in it) is taken too; the lab's own is untracked.
  const tracked = await gitProbe(worktree, ['ls-tree', '--name-only', 'HEAD', '--', basename(buildDir)]);
  if (tracked.ok && tracked.stdout.trim()) throw taken('a folder git tracks');
}

/** make's environment: ccache with paths made relative to the cache, reproducible build stamps. */
function makeEnv(cache: string): Record<string, string> {
  return {
    CCACHE_DIR: join(cache, 'ccache'),
    CCACHE_BASEDIR: cache,
    CCACHE_NOHASHDIR: '1',
    CCACHE_COMPILERCHECK: 'content',
    CCACHE_MAXSIZE: '8G',
    KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 2026',
    KBUILD_BUILD_USER: 'lab',
    KBUILD_BUILD_HOST: 'damon-lab',
  };
}

/**
 * Whether an artifact's bootable kernels are what was published (their seals); a damaged artifact is
 * removed, so the caller builds it again (make finds its objects in the build directory: little to do).
 */
function artifactIntact(dir: string, log: (l: string) => void): boolean {
  const boot = join(dir, 'boot');
  const damaged = existsSync(boot)
    ? readdirSync(boot).filter(
        (f) => /^vmlinu[xz]-/.test(f) && !f.endsWith('.seal') && checkSealed(join(boot, f)) === 'damaged',
      )
    : [];
  if (!damaged.length) return true;
  log(
    `the cached kernel ${dir} is damaged (${damaged.join(', ')}: not the sha256 it was published with): building it again`,
  );
  rmSync(dir, { recursive: true, force: true });
  return false;
}

export function artifactFromDir(dir: string): KernelArtifact {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ArtifactMeta;
  const configPath = join(dir, 'boot', `config-${meta.release}`);
  return {
    release: meta.release,
    source: `series:${meta.series} ${meta.commit.slice(0, 12)}`,
    vmlinuz: join(dir, 'boot', `vmlinuz-${meta.release}`),
    modulesRoot: dir,
    configPath,
    config: parseKernelConfig(readFileSync(configPath, 'utf8')),
    ...(existsSync(join(dir, 'kselftest')) ? { kselftestDir: join(dir, 'kselftest') } : {}),
    buildId: meta.key,
    series: meta.series,
  };
}

/**
 * Builds the series' kernel, or finds it in the artifact cache. Two keys: the input key (base, patch
 * bytes, fragment texts, toolchain) answers a repeated build with no git and no make; the artifact key
 * (commit, final .config, toolchain) names the artifact, so different inputs that end in the same
 * kernel share it.
 */
export async function buildKernel(req: BuildRequest): Promise<BuildResult> {
  const t0 = performance.now();
  const { series, cache, log } = req;
  const debianId = debianSourceId(series.base);
  if (debianId && req.tree)
    throw new InputFileError(
      req.seriesFile,
      undefined,
      `base: '${series.base}' cannot be used with --tree; name a commit of your tree`,
    );
  const sourceId = debianId ?? (series.source ? debianSourceId(series.source) : undefined) ?? DEFAULT_DEBIAN_SOURCE;
  const src = req.tree ? await userTreeClone(cache, req.tree, log) : await debianSourceRepo(cache, sourceId, log);
  const base = debianId ? src.base : await resolveBase(req.tree ?? src.repo, series.base, req.seriesFile);

  const { patches, baseCommit } = await listPatches(series, req.seriesFile, req.tree);
  if (baseCommit) await checkBaseCommit(src.repo, base, baseCommit, req.seriesFile, log);
  const fragments = resolveFragments(
    series,
    req.seriesFile,
    makefileVersion(await git(src.repo, ['show', `${base}:Makefile`])),
  );
  const toolchain = await toolchainId();
  const inputKey = buildInputKey({
    base,
    patches: patches.map((p) => p.data),
    baseConfig: series.base_config,
    fragments,
    selftests: series.artifacts.selftests,
    modules: series.artifacts.modules,
    toolchain,
  });
  const artifacts = join(cache, 'artifacts');
  const index = join(artifacts, 'by-input', inputKey);
  if (existsSync(index)) {
    const dir = join(artifacts, readFileSync(index, 'utf8').trim());
    if (existsSync(join(dir, 'meta.json')) && artifactIntact(dir, log)) {
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ArtifactMeta;
      log(`kernel ${meta.release} from the artifact cache (no make)`);
      return {
        artifact: artifactFromDir(dir),
        artifactDir: dir,
        cached: true,
        commit: meta.commit,
        seconds: (performance.now() - t0) / 1000,
      };
    }
  }

  // One build at a time per source repository: two builds (or a build and a matrix) would share its
  // apply worktree and build directories, and one could build and cache the other's commit.
  const release = await waitForLock(`${src.repo}.lab-build.lock`, `the source repository ${src.repo}`, log);
  try {
    return await buildLocked();
  } finally {
    release();
  }
  async function buildLocked(): Promise<BuildResult> {
    // A worktree and a build directory with modules and selftests: a few GiB for the lab config.
    requireFreeSpace(cache, 4 * 1024 ** 3, `building ${series.name}`);
    if (patches.length) log(`applying ${patches.length} patch(es) with git am -3`);
    // No patches (a configs-only series, a bisect step): the base is the commit, with no scratch worktree to
    // check out and clean; on a fresh tree that is a whole kernel checkout saved.
    const commit = patches.length
      ? await applySeries(
          src.repo,
          seriesWorktree(cache, src.repo, '.apply'),
          base,
          patches,
          baseCommit ? { baseCommit } : {},
        )
      : base;
    const slot = buildSlot(series, req.seriesFile);
    const worktree = seriesWorktree(cache, src.repo, slot);
    const buildDir = objDir(worktree);
    // Asked of the commit before it is checked out: the slot's build directory is other series' too, and a tree
    // whose own .lab-build replaced it would cost them a whole build (or point their writes elsewhere).
    await checkCommitLeavesBuildDir(src.repo, commit, buildDir, req.seriesFile);
    await checkoutForBuild(src.repo, worktree, commit);
    await checkBuildDirIsOurs(worktree, buildDir, req.seriesFile);
    const builder = await chooseBuilder(cache, log);
    await builder.own(buildDir);
    await builder.own(join(cache, 'ccache'));
    // The slot's state (its .config's inputs, the merge scratch) beside it; the log under the series' name, so a
    // failed build's log is not overwritten by another series building in the same slot.
    const labDir = labBuildDir(cache, src.repo, slot);
    mkdirSync(labDir, { recursive: true, mode: 0o755 });
    const logDir = labBuildDir(cache, src.repo, series.name);
    mkdirSync(logDir, { recursive: true, mode: 0o755 });
    const logPath = join(logDir, 'build.log');
    writeFileSync(logPath, `# damon-lab build of ${series.name} at ${commit}, make run by ${builder.who}\n`);
    const env = { ...makeEnv(cache), ...builder.env };
    const jobs = String(availableParallelism());
    // LOCALVERSION= (set, empty): without it setlocalversion appends "+" for a git tree not at a tag.
    const makeArgs = [`-j${jobs}`, 'CC=ccache gcc', 'HOSTCC=ccache gcc', 'LOCALVERSION='];
    const configText = await configure({
      repo: src.repo,
      worktree,
      buildDir,
      labDir,
      builder,
      env,
      commit,
      base: series.base_config,
      fragments,
      makeArgs,
      log,
      ignoreUndefined: series.undefined_symbols === 'ignore',
    });
    const configSha = hashParts([['config', configText]]);
    const key = artifactKey(commit, configText, toolchain, series.artifacts.selftests);
    const dir = join(artifacts, key);
    if (!existsSync(join(dir, 'meta.json')) || !artifactIntact(dir, log)) {
      log(`building in ${buildDir} (-j${jobs}, ccache, as ${builder.who}); log: ${logPath}`);
      const make = ['make', '-C', worktree, `O=${buildDir}`, ...makeArgs];
      const progress = (l: string) => log(`  ${l}`);
      // Every command that runs the tree's code or touches what it built: as the builder, logged, in its group.
      const asBuilder = (argv: string[], what: string) =>
        runMake(builder.argv(argv), {
          env: { ...process.env, ...env } as Record<string, string>,
          logPath,
          what,
          progress,
        });
      // A kernel without module support (the console-only base) has no modules target: make would refuse.
      const modular = parseKernelConfig(configText).get('CONFIG_MODULES') === 'y';
      await asBuilder(
        [...make, 'bzImage', 'vmlinux', ...(modular ? ['modules'] : [])],
        modular ? 'bzImage and modules' : 'bzImage (no module support)',
      );
      for (const m of series.artifacts.modules) {
        if (!existsSync(join(buildDir, m)))
          throw new BuildError(`the series must produce ${m}, and the build did not`, logPath, [
            `missing: ${join(buildDir, m)}`,
          ]);
      }
      const release = (await builder.read(join(buildDir, 'include', 'config', 'kernel.release'))).trim();
      if (!/^[A-Za-z0-9._+~-]+$/.test(release))
        throw new BuildError(
          `the tree's kernel.release is not a release name: ${JSON.stringify(release.slice(0, 80))}`,
          logPath,
          [],
        );
      await publishDir(dir, async (staging) => {
        // The build user installs into the staging folder (its own until it is done), copies the kernels
        // there with its own rights, and hands it back; root then adds the seals, log and meta.
        await builder.own(staging);
        await asBuilder(['mkdir', '-p', '--', join(staging, 'boot')], 'the boot folder of the install');
        if (modular)
          await asBuilder(
            [...make, 'modules_install', `INSTALL_MOD_PATH=${staging}`, 'INSTALL_MOD_STRIP=1'],
            'modules_install',
          );
        if (series.artifacts.selftests.length) {
          await asBuilder(
            [
              ...make,
              `TARGETS=${series.artifacts.selftests.join(' ')}`,
              'kselftest-install',
              `INSTALL_PATH=${join(staging, 'kselftest')}`,
            ],
            `selftests (${series.artifacts.selftests.join(' ')})`,
          );
        }
        const copies: Array<[string, string]> = [
          [join(buildDir, 'arch', 'x86', 'boot', 'bzImage'), `vmlinuz-${release}`],
          // The uncompressed vmlinux boots directly through PVH (CONFIG_PVH in the lab config): no carving needed.
          ...(parseKernelConfig(configText).get('CONFIG_PVH') === 'y'
            ? [[join(buildDir, 'vmlinux'), `vmlinux-pvh-${release}`] as [string, string]]
            : []),
          [join(buildDir, '.config'), `config-${release}`],
          [join(buildDir, 'System.map'), `System.map-${release}`],
        ];
        for (const [from, to] of copies)
          await asBuilder(['cp', '--no-dereference', '--', from, join(staging, 'boot', to)], `copying ${to}`);
        await builder.reclaim(staging, log);
        // The files a guest boots are sealed with their hash: a damaged artifact is rebuilt, never booted.
        for (const f of readdirSync(join(staging, 'boot')))
          if (/^vmlinu[xz]-/.test(f)) sealFile(join(staging, 'boot', f));
        copyFileSync(logPath, join(staging, 'build.log'));
        const meta: ArtifactMeta = {
          key,
          release,
          series: series.name,
          commit,
          base,
          patches: patches.map((p) => ({ origin: p.origin, subject: p.subject })),
          configSha,
          toolchain,
          buildSeconds: Math.round((performance.now() - t0) / 100) / 10,
        };
        writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta, null, 2));
      });
    } else {
      log('an identical kernel (same commit and .config) is already in the artifact cache');
    }
    mkdirSync(dirname(index), { recursive: true });
    writeFileSync(index, key + '\n');
    return {
      artifact: artifactFromDir(dir),
      artifactDir: dir,
      cached: false,
      commit,
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

/**
 * The build directory's .config for this commit. Reused as it is when the fragments are the same as last
 * time and no Kconfig changed between the commits (a changed patch of C code or Makefiles): re-running allnoconfig,
 * merge_config.sh and olddefconfig would cost seconds on every incremental build for the same answer.
 */
async function configure(o: {
  repo: string;
  worktree: string;
  buildDir: string;
  labDir: string;
  builder: Builder;
  env: Record<string, string>;
  commit: string;
  base: BaseConfig;
  fragments: ReturnType<typeof resolveFragments>;
  makeArgs: string[];
  log: (s: string) => void;
  ignoreUndefined: boolean;
}): Promise<string> {
  // The state is the lab's (its folder); the .config is the build's, read back with the builder's rights.
  const stateFile = join(o.labDir, 'config-state.json');
  const inputs = hashParts([['base', o.base], ...o.fragments.map((f): [string, string] => [f.name, f.text])]);
  const config = join(o.buildDir, '.config');
  if (existsSync(stateFile) && existsSync(config)) {
    const prev = JSON.parse(readFileSync(stateFile, 'utf8')) as { commit: string; inputs: string };
    if (prev.inputs === inputs) {
      const changed = await gitProbe(o.repo, [
        'diff',
        '--name-only',
        prev.commit,
        o.commit,
        '--',
        '*Kconfig*',
        'arch/x86/configs',
        'scripts/kconfig',
      ]);
      if (changed.ok && changed.stdout.trim() === '') {
        o.log('config unchanged (same fragments, no Kconfig changed): reusing .config');
        return o.builder.read(config);
      }
    }
  }
  o.log('configuring (merge_config.sh + olddefconfig)');
  rmSync(stateFile, { force: true });
  const { configText } = await makeConfig({
    tree: o.worktree,
    buildDir: o.buildDir,
    scratch: o.labDir,
    builder: o.builder,
    env: o.env,
    base: o.base,
    fragments: o.fragments,
    makeArgs: o.makeArgs,
    ignoreUndefined: o.ignoreUndefined,
  });
  writeFileSync(stateFile, JSON.stringify({ commit: o.commit, inputs }));
  return configText;
}

async function resolveBase(repo: string, rev: string, seriesFile: string): Promise<string> {
  const r = await gitProbe(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (!r.ok) {
    const shallow = (await gitProbe(repo, ['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
    throw new InputFileError(
      seriesFile,
      undefined,
      `base '${rev}' is not a commit in ${repo}${shallow ? ` (a shallow clone: its history stops before it; \`git -C ${repo} fetch --unshallow\`, or fetch that commit)` : ''}`,
    );
  }
  return r.stdout.trim();
}

/**
 * A cover letter's base-commit must be the base we apply on, when the repository knows that commit.
 * Debian's source has no upstream history, so there it can only be reported, not checked.
 */
async function checkBaseCommit(
  repo: string,
  base: string,
  named: string,
  seriesFile: string,
  log: (s: string) => void,
): Promise<void> {
  const r = await gitProbe(repo, ['rev-parse', '--verify', '--quiet', `${named}^{commit}`]);
  if (!r.ok) {
    log(
      `note: the series names base-commit ${named}, which this repository does not have; applying on ${base.slice(0, 12)}`,
    );
    return;
  }
  if (r.stdout.trim() !== base)
    throw new InputFileError(
      seriesFile,
      undefined,
      `the series' base-commit is ${named}, but base resolves to ${base}`,
    );
}

export function listArtifacts(cache: string): string[] {
  const dir = join(cache, 'artifacts');
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'meta.json'))) : [];
}
