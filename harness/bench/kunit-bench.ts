import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, repoRoot } from '../util/paths.js';
import { debianSourceRepo } from '../source/debian-source.js';
import { buildSlot, seriesWorktree } from '../kbuild/build-kernel.js';
import type { RunSummary } from '../run/run-summary.js';
import { benchBase, fmtSeconds } from './stats.js';

const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');

/** Pure: "Ran 23 tests: passed: 23" (and friends) from kunit.py's closing lines. */
export function kunitPyCounts(output: string): { total: number; passed: number } | undefined {
  const m =
    /Ran (\d+) tests?:\s*passed: (\d+)/.exec(output) ??
    /Testing complete\. Ran (\d+) tests?: passed: (\d+)/.exec(output);
  return m ? { total: Number(m[1]), passed: Number(m[2]) } : undefined;
}

/**
 * `lab run damon-kunit` against `tools/testing/kunit/kunit.py run --arch=x86_64` with the same kunitconfig
 * (mm/damon/tests/.kunitconfig) on the same tree, cold (fresh build directories, ccache off) and warm
 * (the same again), in the same run. Same test counts expected; the lab's wall time should not exceed
 * kunit.py's. Slow when cold (two kernel builds): `npm run bench -- kunit`.
 */
/**
 * Removes the artifacts earlier runs of this bench left (series bench-kunit-*) and the input index
 * entries that point at them: the artifact cache would otherwise answer the lab's "cold" build.
 */
function evictBenchArtifacts(): number {
  const artifacts = join(cacheRoot(), 'artifacts');
  if (!existsSync(artifacts)) return 0;
  const gone = new Set<string>();
  for (const key of readdirSync(artifacts)) {
    const meta = join(artifacts, key, 'meta.json');
    if (!existsSync(meta)) continue;
    const series = (JSON.parse(readFileSync(meta, 'utf8')) as { series?: string }).series ?? '';
    if (!series.startsWith('bench-kunit-')) continue;
    rmSync(join(artifacts, key), { recursive: true, force: true });
    gone.add(key);
  }
  const index = join(artifacts, 'by-input');
  if (existsSync(index))
    for (const f of readdirSync(index))
      if (gone.has(readFileSync(join(index, f), 'utf8').trim())) rmSync(join(index, f), { force: true });
  return gone.size;
}

export async function kunitBench(): Promise<void> {
  const base = benchBase();
  const evicted = evictBenchArtifacts();
  if (evicted)
    console.log(
      `(evicted ${evicted} kernel(s) an earlier run of this bench left in the artifact cache: the lab's cold build is cold)`,
    );
  console.log(`== lab run damon-kunit vs kunit.py run --arch=x86_64, same kunitconfig, same tree (${base})`);
  const { repo } = await debianSourceRepo(cacheRoot(), base);
  const kunitconfig = join(repo, 'mm', 'damon', 'tests', '.kunitconfig');
  const work = mkdtempSync(join(tmpdir(), 'bench-kunit-'));
  const name = `bench-kunit-${process.pid}`;
  const seriesFile = join(work, `${name}.yaml`);
  // kunit.config adds what the lab's suite reads results through (KUNIT_DEBUGFS); its tests are the kunitconfig's.
  writeFileSync(
    seriesFile,
    `name: ${name}\nbase: ${base}\nbase_config: lab-console\nconfigs: [damon, kunit, ${kunitconfig}]\nartifacts:\n  selftests: []\n`,
  );
  const suiteArgs = ['run', 'damon-kunit', '--series', seriesFile, '--quiet'];
  const kunitBuild = join(work, 'kunit-build');
  const kunitArgs = [
    join(repo, 'tools', 'testing', 'kunit', 'kunit.py'),
    'run',
    '--arch=x86_64',
    `--kunitconfig=${kunitconfig}`,
    `--build_dir=${kunitBuild}`,
    `--jobs=${(await import('node:os')).availableParallelism()}`,
  ];
  try {
    for (const phase of ['cold', 'warm'] as const) {
      const env = phase === 'cold' ? { CCACHE_DISABLE: '1' } : {};
      // The lab first: its run says which accelerator this machine gives a guest.
      const reports = mkdtempSync(join(work, 'reports-'));
      let t0 = performance.now();
      const lab = await execa('node', [labBin, ...suiteArgs], {
        reject: false,
        all: true,
        env: { ...env, LAB_REPORTS: reports },
      });
      const labSeconds = (performance.now() - t0) / 1000;
      const summary = JSON.parse(
        readFileSync(join(reports, readdirSync(reports)[0]!, 'summary.json'), 'utf8'),
      ) as RunSummary;
      const cases = summary.tests.filter((x) => /^damon-kunit\.damon[-a-z]*\./.test(x.path));
      // kunit.py asks QEMU for -accel kvm first: where /dev/kvm opens but cannot run a stock kernel (a PVM
      // host), its guest hangs until kunit.py's timeout. Where the lab found KVM unusable, kunit.py runs
      // with /dev/kvm masked in a mount namespace of its own, so its QEMU falls back to TCG like the lab's.
      const mask = summary.guest?.accel === 'tcg' && existsSync('/dev/kvm');
      const argv = mask
        ? ['unshare', '-m', 'sh', '-c', 'mount --bind /dev/null /dev/kvm && exec "$@"', 'sh', 'python3', ...kunitArgs]
        : ['python3', ...kunitArgs];
      t0 = performance.now();
      const py = await execa(argv[0]!, argv.slice(1), { cwd: repo, reject: false, all: true, env });
      const pySeconds = (performance.now() - t0) / 1000;
      const pyCounts = kunitPyCounts(String(py.all));
      if (phase === 'cold' && mask)
        console.log(
          `kunit.py runs with /dev/kvm masked: the lab's guest ran under TCG (${summary.guest?.accelReason ?? ''})`,
        );
      console.log(
        `${phase}: kunit.py ${fmtSeconds(pySeconds)} (exit ${py.exitCode}, ${pyCounts ? `${pyCounts.total} tests, ${pyCounts.passed} passed` : 'no counts'})`,
      );
      // A kunit.py that did not get to its counts is shown, not just counted: its last words say why.
      if (py.exitCode !== 0 || !pyCounts)
        console.log(
          String(py.all)
            .trim()
            .split('\n')
            .slice(-15)
            .map((l) => `    kunit.py | ${l}`)
            .join('\n'),
        );
      console.log(
        `${phase}: lab      ${fmtSeconds(labSeconds)} (exit ${lab.exitCode}, ${cases.length} tests, ${cases.filter((x) => x.status === 'PASS').length} passed)`,
      );
      console.log(
        `${phase}: ratio lab/kunit.py ${(labSeconds / pySeconds).toFixed(2)} (target ≤ 1.00: ${labSeconds <= pySeconds ? 'met' : 'NOT met'}); same count: ${pyCounts?.total === cases.length ? 'yes' : 'NO'}`,
      );
    }
  } finally {
    evictBenchArtifacts();
    // The bench's series reads the tree's own .kunitconfig as a fragment, which no lab series does: a build slot of
    // its own, whose worktree and build directory go with it (the next bench's cold phase must be cold).
    const slot = buildSlot({ base_config: 'lab-console', configs: ['damon', 'kunit', kunitconfig] }, seriesFile);
    await execa('git', ['-C', repo, 'worktree', 'remove', '--force', seriesWorktree(cacheRoot(), repo, slot)], {
      reject: false,
    });
    rmSync(work, { recursive: true, force: true });
  }
}
