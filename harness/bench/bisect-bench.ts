import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { $ } from 'zx';
import { cacheRoot, repoRoot } from '../util/paths.js';
import { QEMU_BINARY } from '../local-host/qemu-binary.js';
import { BASE_CMDLINE } from '../vm/machine-plan.js';
import { rawQemuArgv } from './raw-boot.js';
import { withParents, writeCpio, type CpioEntry } from '../image/cpio.js';
import type { BisectRecord } from '../bisect/bisect.js';
import type { RunSummary } from '../run/run-summary.js';
import { fixtureHistory } from './fixture-history.js';
import { listArtifacts } from '../kbuild/build-kernel.js';
import { stepSeries, writeStepSeries } from '../bisect/step-series.js';
import { BISECT_WORKTREE } from '../bisect/bisect.js';
import { loadSeries } from '../suites/suite-catalog.js';
import { argvAfter, fmtSeconds, median } from './stats.js';

const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');
const jobs = `-j${availableParallelism()}`;

/**
 * `lab bisect` on the fixture history against the sum of its raw steps, in the same run, from the same
 * starting point: each side has a tree and a build directory at the good end, built before anything is
 * timed (the lab's through `lab build` in its bisect worktree for that tree, the raw side's by hand with
 * the same .config), so every timed step is what the issue counts: an incremental make, then boot and
 * suite. The good end's kernel is then evicted from the artifact cache, so the lab builds every step
 * rather than finding one. A raw step is what a developer would type for the same commit: git
 * checkout, make, modules_install, the modules appended as a cpio to the initramfs, and QEMU until the
 * KUnit suite's result line.
 */
export async function bisectBench(): Promise<void> {
  console.log(
    '== lab bisect (fixture history) vs the sum of its raw steps: checkout + incremental make + boot + KUnit',
  );
  const cache = cacheRoot();
  const h = await fixtureHistory(cache);
  const work = mkdtempSync(join(tmpdir(), 'bench-bisect-'));
  try {
    const seriesFile = join(repoRoot(), 'kernel', 'series', 'lab-fixture-configs.yaml');
    const rawTree = join(work, 'tree');
    await execa('git', ['clone', '-q', '--shared', '--no-checkout', h.tree, rawTree]);
    const env = {
      ...process.env,
      CCACHE_DIR: join(cache, 'ccache'),
      CCACHE_BASEDIR: cache,
      CCACHE_NOHASHDIR: '1',
      CCACHE_COMPILERCHECK: 'content',
    };
    const obj = join(rawTree, '.raw-build'); // as the lab does: ".." is the tree, so ccache shares objects
    const make = ['make', '-C', rawTree, `O=${obj}`, jobs, 'CC=ccache gcc', 'HOSTCC=ccache gcc', 'LOCALVERSION='];

    // Untimed: both sides at the good end, built; the lab's kernels of this history evicted (before the
    // lab's build too, so that build really builds its worktree rather than finding the kernel).
    const w0 = performance.now();
    const commits = new Set(h.commits.map((c) => c.sha).concat(h.good));
    evictArtifacts(cache, commits);
    const template = loadSeries(seriesFile);
    const prepSeries = join(work, 'prep.yaml');
    writeStepSeries(
      prepSeries,
      stepSeries(template.spec, template.file, {
        name: BISECT_WORKTREE,
        base: h.good,
        description: 'bench: the good end',
        modules: false,
      }),
      'bench preparation',
    );
    const prep = await execa('node', [labBin, 'build', '--series', prepSeries, '--tree', h.tree, '--quiet'], {
      reject: false,
      all: true,
    });
    if (prep.exitCode !== 0) throw new Error(`lab build of the good end failed:\n${prep.all.slice(-2000)}`);
    const artifactDir = /^artifact: (.+)$/m.exec(prep.stdout)?.[1]?.trim();
    const configText = readFileSync(
      join(artifactDir!, 'boot', readdirSync(join(artifactDir!, 'boot')).find((f) => f.startsWith('config-'))!),
      'utf8',
    );
    await execa('git', ['-C', rawTree, 'checkout', '-q', '-f', '--detach', h.good]);
    mkdirSync(obj, { recursive: true });
    writeFileSync(join(obj, '.config'), configText);
    await execa(make[0]!, [...make.slice(1), 'bzImage', 'vmlinux', 'modules'], { env });
    const evicted = evictArtifacts(cache, commits, configText);
    console.log(
      `untimed preparation ${fmtSeconds((performance.now() - w0) / 1000)}: both trees built at the good end, ${evicted} cached kernel(s) of this history evicted`,
    );

    // Repetitions, lab and raw side by side in each, so drift in the machine's speed hits both: each
    // side starts a repetition where its last one ended (the same commit), the lab's kernels evicted.
    const reps = Math.max(1, Number(process.env.LAB_BENCH_REPS ?? 3));
    const labTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      if (rep) evictArtifacts(cache, commits, configText);
      const reports = join(work, `reports-${rep}`);
      const t0 = performance.now();
      const r = await execa(
        'node',
        [
          labBin,
          'bisect',
          '--tree',
          h.tree,
          '--good',
          'fixture-good',
          '--bad',
          'fixture-bad',
          '--suite',
          'damon-kunit',
          '--test',
          'damon-kunit.damon_lab_fixture',
          '--series',
          seriesFile,
        ],
        { reject: false, all: true, env: { LAB_REPORTS: reports } },
      );
      const labSeconds = (performance.now() - t0) / 1000;
      if (r.exitCode !== 0) throw new Error(`lab bisect exited ${r.exitCode}:\n${r.all.slice(-3000)}`);
      if (process.env.LAB_BENCH_LOG) writeFileSync(process.env.LAB_BENCH_LOG, r.all);
      const id = readdirSync(reports).find((d) => d.startsWith('bisect-'))!;
      const b = JSON.parse(readFileSync(join(reports, id, 'bisect.json'), 'utf8')) as BisectRecord;
      const tested = [b.verification.good!, b.verification.bad!, ...b.steps];

      // The raw side: a checkout of the same tree, the lab's final .config, and the initramfs the lab booted.
      const firstRun = tested.flatMap((s) => s.runs).find((x) => x.runId)!;
      const summary = JSON.parse(readFileSync(join(reports, firstRun.runId!, 'summary.json'), 'utf8')) as RunSummary;
      const accel = argvAfter(summary.guest!.argv!, ['-accel', '-cpu']);
      const raw: number[] = [];
      let rawAgrees = true;
      for (const step of tested) {
        const s0 = performance.now();
        await execa('git', ['-C', rawTree, 'checkout', '-q', '-f', '--detach', step.commit!]);
        const built = await execa(make[0]!, [...make.slice(1), 'bzImage', 'vmlinux', 'modules'], {
          reject: false,
          env,
          all: true,
        });
        if (built.exitCode === 0) {
          const stage = join(work, 'stage');
          rmSync(stage, { recursive: true, force: true });
          await execa(
            make[0]!,
            [...make.slice(1), 'modules_install', `INSTALL_MOD_PATH=${stage}`, 'INSTALL_MOD_STRIP=1'],
            { env },
          );
          const initrd = join(work, 'initrd.cpio');
          writeFileSync(initrd, Buffer.concat([readFileSync(summary.image!.path), modulesCpio(stage)]));
          const verdict = await bootToKunitResult({ kernel: join(obj, 'vmlinux'), initrd, accel });
          if (verdict !== (step.verdict === 'bad' ? 'not ok' : 'ok')) {
            rawAgrees = false;
            console.log(
              `  note: raw step ${step.commit!.slice(0, 12)} read "${verdict}", the lab said ${step.verdict}`,
            );
          }
        }
        raw.push((performance.now() - s0) / 1000);
      }
      const rawSum = raw.reduce((a, x) => a + x, 0);
      // A repetition whose raw side read another verdict than the lab did not time the same work: shown, not counted.
      if (rawAgrees) {
        labTimes.push(labSeconds);
        rawTimes.push(rawSum);
      }
      if (rep === 0) {
        console.log(
          `candidates: ${b.candidates}; bisection steps: ${b.steps.length} (bound ⌈log2 N⌉ + 1 = ${b.stepBound}: ${b.steps.length <= b.stepBound ? 'met' : 'NOT met'}); commits built and judged, with both ends: ${tested.length}`,
        );
        console.log(
          `first bad commit: ${b.result?.kind === 'found' ? `${b.result.commit.slice(0, 12)} ${b.result.subject}` : 'not found'}`,
        );
      }
      console.log(
        `rep ${rep + 1}: lab ${fmtSeconds(labSeconds)} [steps ${tested.map((s) => s.seconds.toFixed(1)).join(' ')}; builds ${tested.map((s) => s.build.seconds.toFixed(1)).join(' ')}]  raw ${fmtSeconds(rawSum)} [steps ${raw.map((x) => x.toFixed(1)).join(' ')}]  ratio ${(labSeconds / rawSum).toFixed(2)}${rawAgrees ? '' : ' (not counted: the raw side read another verdict)'}`,
      );
    }
    if (!labTimes.length) throw new Error('no repetition where the raw side agreed with the lab');
    const lab = median(labTimes);
    const rawMedian = median(rawTimes);
    console.log(`lab bisect, median of ${labTimes.length}        ${fmtSeconds(lab)}`);
    console.log(`raw steps summed, median of ${rawTimes.length}  ${fmtSeconds(rawMedian)}`);
    console.log(
      `ratio lab/raw: ${(lab / rawMedian).toFixed(2)} (target ≤ 1.20: ${lab / rawMedian <= 1.2 ? 'met' : 'NOT met'})`,
    );
  } finally {
    for (const d of existsSync(work) ? readdirSync(work).filter((x) => x.startsWith('reports-')) : [])
      await removeBenchBuilds(join(work, d));
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes the artifacts of these commits (built with exactly this .config, if given); returns how many. */
function evictArtifacts(cache: string, commits: ReadonlySet<string>, configText?: string): number {
  let n = 0;
  for (const key of listArtifacts(cache)) {
    const dir = join(cache, 'artifacts', key);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { commit: string; release: string };
    if (
      !commits.has(meta.commit) ||
      (configText !== undefined && readFileSync(join(dir, 'boot', `config-${meta.release}`), 'utf8') !== configText)
    )
      continue;
    rmSync(dir, { recursive: true, force: true });
    n++;
  }
  return n;
}

/** The bench's kernels are of a series no other run uses: drop its worktree and artifacts, not to fill the cache. */
async function removeBenchBuilds(reports: string): Promise<void> {
  const id = existsSync(reports) ? readdirSync(reports).find((d) => d.startsWith('bisect-')) : undefined;
  if (!id) return;
  const b = JSON.parse(readFileSync(join(reports, id, 'bisect.json'), 'utf8')) as BisectRecord;
  for (const s of [b.verification.good, b.verification.bad, ...b.steps])
    if (s?.build.artifactDir) rmSync(s.build.artifactDir, { recursive: true, force: true });
  await execa('git', ['-C', b.repo, 'worktree', 'remove', '--force', b.worktree], { reject: false });
}

/** The installed modules (and the module list the lab's init loads at boot) as a cpio to append to an initramfs. */
function modulesCpio(stage: string): Buffer {
  const entries: CpioEntry[] = [
    { kind: 'file', path: 'etc/lab/modules', data: Buffer.from('virtio_net\ndamon_lab_fixture_test\n') },
  ];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p, r);
      else if (e.isFile()) entries.push({ kind: 'file', path: r, data: readFileSync(p) });
    }
  };
  walk(join(stage, 'lib', 'modules'), 'lib/modules');
  return writeCpio(withParents(entries));
}

/** QEMU until the fixture KUnit suite's result line; returns "ok" or "not ok". */
async function bootToKunitResult(o: { kernel: string; initrd: string; accel: string[] }): Promise<string> {
  const argv = rawQemuArgv({
    accelArgs: o.accel,
    cpus: 2,
    memoryMiB: 1024,
    kernel: o.kernel,
    initrd: o.initrd,
    append: [...BASE_CMDLINE, 'kunit.enable=1'].join(' '),
  });
  const p = $({ quiet: true, nothrow: true, timeout: 120000 })`${QEMU_BINARY} ${argv}`;
  let seen = '';
  let verdict = '';
  p.stdout.on('data', (d: Buffer) => {
    seen += d.toString();
    // The suite's own result line, whole: a chunk that ends inside "ok 1 damon_lab_fixture_test_empty_whole"
    // must not read as the suite's "ok" (it did, now and then, for the bad commit).
    const m = /\] (not ok|ok) \d+ damon_lab_fixture\r?\n/.exec(seen);
    if (m && !verdict) {
      verdict = m[1]!;
      void p.kill('SIGKILL');
    }
  });
  await p;
  if (!verdict) throw new Error(`raw boot never printed the damon_lab_fixture result: ${seen.slice(-800)}`);
  return verdict;
}
