import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, repoRoot } from '../util/paths.js';
import { loadSeries } from '../suites/suite-catalog.js';
import { debianSourceRepo } from '../source/debian-source.js';
import { makefileVersion, resolveFragments } from '../kconfig/config-plan.js';
import { benchBase } from './stats.js';
import { makeConfig } from '../kconfig/make-config.js';
import { fmtSeconds } from './stats.js';
import { objDir } from '../kbuild/build-kernel.js';

const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');
const jobs = `-j${availableParallelism()}`;

async function timed(argv: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const [f, ...a] = argv;
  const r = await execa(f!, a, { reject: false, env, all: true });
  if (r.exitCode !== 0)
    throw new Error(`${argv.join(' ')} failed:\n${String(r.all).split('\n').slice(-20).join('\n')}`);
  return (performance.now() - t0) / 1000;
}

/**
 * Cold build of the lab config against `make defconfig` + `make` of the same tree, both with ccache off
 * and fresh output directories. Slow (the defconfig build alone took 26 minutes here): run it with
 * `npm run bench -- cold-build`.
 */
export async function coldBuildBench(): Promise<void> {
  const base = benchBase();
  console.log(
    `== cold build on ${base}: lab config vs make defconfig + make (same tree, ccache off, -j${availableParallelism()})`,
  );
  const { repo } = await debianSourceRepo(cacheRoot(), base);
  const { spec, file } = loadSeries('lab-fixture');
  const env = { CCACHE_DISABLE: '1' };
  const labDir = mkdtempSync(join(tmpdir(), 'bench-lab-'));
  const defDir = mkdtempSync(join(tmpdir(), 'bench-def-'));
  try {
    const t0 = performance.now();
    await makeConfig({
      tree: repo,
      buildDir: labDir,
      scratch: mkdtempSync(join(tmpdir(), 'bench-scratch-')),
      base: 'lab',
      fragments: resolveFragments(
        { ...spec, configs: ['damon'], config: {} },
        file,
        makefileVersion(readFileSync(join(repo, 'Makefile'), 'utf8')),
      ),
      makeArgs: [jobs],
    });
    await timed(['make', '-C', repo, `O=${labDir}`, jobs, 'bzImage', 'modules'], env);
    const lab = (performance.now() - t0) / 1000;
    const def =
      (await timed(['make', '-C', repo, `O=${defDir}`, 'defconfig'], env)) +
      (await timed(['make', '-C', repo, `O=${defDir}`, jobs, 'bzImage', 'modules'], env));
    console.log(`lab config (lab-base + damon, allnoconfig)  ${fmtSeconds(lab)}`);
    console.log(`make defconfig + make                        ${fmtSeconds(def)}`);
    console.log(
      `ratio lab/defconfig: ${(lab / def).toFixed(2)} (target ≤ 0.35: ${lab / def <= 0.35 ? 'met' : 'NOT met'})`,
    );
  } finally {
    rmSync(labDir, { recursive: true, force: true });
    rmSync(defDir, { recursive: true, force: true });
  }
}

/** A repeated `lab build` with nothing changed must run no make and take under 2 s. */
export async function warmBuildBench(reps: number): Promise<void> {
  console.log('== repeated lab build --series lab-fixture, nothing changed');
  await timed(['node', labBin, 'build', '--series', 'lab-fixture', '--quiet']); // ensure built
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) xs.push(await timed(['node', labBin, 'build', '--series', 'lab-fixture', '--quiet']));
  xs.sort((a, b) => a - b);
  const med = xs[Math.floor(xs.length / 2)]!;
  console.log(
    `median ${fmtSeconds(med)} [${xs.map((x) => x.toFixed(2)).join(' ')}] (target < 2 s: ${med < 2 ? 'met' : 'NOT met'})`,
  );
}

/**
 * One patch of the series changed (a line of C in the fixture module): `lab build` of the changed series
 * against the raw incremental make after the same source change in the same build directory.
 */
export async function incrementalBuildBench(): Promise<void> {
  console.log('== incremental rebuild after one patch changed: lab build vs raw make');
  const work = mkdtempSync(join(tmpdir(), 'bench-series-'));
  try {
    const patches = join(work, 'patches');
    cpSync(join(repoRoot(), 'kernel', 'patches', 'lab-fixture'), patches, { recursive: true });
    const series = readFileSync(join(repoRoot(), 'kernel', 'series', 'lab-fixture.yaml'), 'utf8')
      .replace('name: lab-fixture', 'name: bench-incremental')
      .replace('dir: ../patches/lab-fixture', `dir: ${patches}`);
    writeFileSync(join(work, 'bench-incremental.yaml'), series);
    const build = () => timed(['node', labBin, 'build', '--series', join(work, 'bench-incremental.yaml'), '--quiet']);
    const p3 = readdirSync(patches).find((f) => f.startsWith('0003-'))!;
    const text = readFileSync(join(patches, p3), 'utf8');
    const variant = (tag: string) =>
      writeFileSync(
        join(patches, p3),
        text.replace('anything above 100% is a mistake.', `anything above 100% is a mistake (${tag}).`),
      );
    // A first variant of patch 3, built in full in this series' build directory: the unchanged series
    // would be answered by lab-fixture's artifact without any make, leaving nothing to be incremental on.
    variant(`bench ${process.pid} a`);
    await build();
    variant(`bench ${process.pid} b`);
    const lab = await build();
    // Raw: the same one-file change in a checkout, then make in an already-built directory.
    const wt = join(cacheRoot(), 'worktrees');
    const repoDir = readdirSync(wt).find((d) => readdirSync(join(wt, d)).includes('bench-incremental'))!;
    const tree = join(wt, repoDir, 'bench-incremental');
    const buildDir = objDir(tree);
    const file = join(tree, 'mm', 'damon', 'damon_lab_fixture.c');
    writeFileSync(file, readFileSync(file, 'utf8').replace(` b).`, ` c).`));
    const env = { CCACHE_DIR: join(cacheRoot(), 'ccache'), CCACHE_BASEDIR: cacheRoot(), CCACHE_NOHASHDIR: '1' };
    const raw = await timed(
      [
        'make',
        '-C',
        tree,
        `O=${buildDir}`,
        jobs,
        'CC=ccache gcc',
        'HOSTCC=ccache gcc',
        'bzImage',
        'vmlinux',
        'modules',
      ],
      env,
    );
    await execa('git', ['-C', tree, 'checkout', '--', 'mm/damon/damon_lab_fixture.c']);
    console.log(`lab build (changed patch)   ${fmtSeconds(lab)}`);
    console.log(`raw incremental make        ${fmtSeconds(raw)}`);
    console.log(`ratio lab/raw: ${(lab / raw).toFixed(2)} (target ≤ 1.10: ${lab / raw <= 1.1 ? 'met' : 'NOT met'})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
