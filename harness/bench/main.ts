import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../util/paths.js';
import { QEMU_BINARY } from '../local-host/qemu-binary.js';
import type { RunSummary } from '../run/run-summary.js';
import { rawBootToShell } from './raw-boot.js';
import { argvAfter, fmtSeconds, median } from './stats.js';
import { coldBuildBench, incrementalBuildBench, warmBuildBench } from './build-bench.js';
import { kunitBench } from './kunit-bench.js';
import { bisectBench } from './bisect-bench.js';
import { matrixBench } from './matrix-bench.js';

/**
 * `npm run bench`: the lab against the raw commands it wraps, measured side by side in the same run.
 * Prints medians and ratios against each target; never fails on timing (targets are for people).
 */
const reps = Number(process.env.LAB_BENCH_REPS ?? 5);
const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');

async function labRun(suite: string, extra: string[] = []): Promise<{ seconds: number; summary: RunSummary }> {
  const reports = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  const t0 = performance.now();
  const r = await execa('node', [labBin, 'run', suite, '--quiet', ...extra], {
    reject: false,
    env: { LAB_REPORTS: reports },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) throw new Error(`lab run ${suite} exited ${r.exitCode}: ${r.stderr}`);
  const dir = join(reports, readdirSync(reports)[0]!);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
  rmSync(reports, { recursive: true, force: true });
  return { seconds, summary };
}

async function smokeVsRawBoot(): Promise<void> {
  console.log(
    `== lab run damon-smoke (warm caches) vs raw QEMU boot to a shell and poweroff; ${reps} repetitions each, interleaved`,
  );
  const warm = await labRun('damon-smoke'); // warm-up: caches, probe verdict, the snapshot
  // Two baselines, both with the very initramfs the lab booted: the bzImage as a developer would type it,
  // and the PVH vmlinux the lab actually boots (so the second ratio shows only the lab's own work).
  const pvhKernel = argvAfter(warm.summary.guest!.argv!, ['-kernel'])[1]!;
  const bzImage = warm.summary.kernel!.vmlinuz;
  const initrd = warm.summary.image!.path;
  const accelArgs = warm.summary.guest?.argv
    ? argvAfter(warm.summary.guest.argv, ['-accel', '-cpu'])
    : ['-accel', 'tcg'];
  const lab: number[] = [];
  const restored: number[] = [];
  const rawBz: number[] = [];
  const rawPvh: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i < reps; i++) {
    rawBz.push(
      await rawBootToShell({ qemu: QEMU_BINARY, kernel: bzImage, initrd, cpus: 2, memoryMiB: 1024, accelArgs }),
    );
    if (pvhKernel !== bzImage)
      rawPvh.push(
        await rawBootToShell({ qemu: QEMU_BINARY, kernel: pvhKernel, initrd, cpus: 2, memoryMiB: 1024, accelArgs }),
      );
    const r = await labRun('damon-smoke', ['--no-snapshot']);
    lab.push(r.seconds);
    for (const s of r.summary.stages) stages.set(s.stage, [...(stages.get(s.stage) ?? []), s.seconds]);
    const back = await labRun('damon-smoke');
    if (!back.summary.snapshot?.restoredFrom)
      throw new Error(`the warm run was not restored: ${back.summary.snapshot?.note ?? 'no snapshot'}`);
    restored.push(back.seconds);
    for (const s of back.summary.stages) stages.set(`${s.stage}*`, [...(stages.get(`${s.stage}*`) ?? []), s.seconds]);
  }
  const show = (label: string, xs: number[]) =>
    console.log(`${label.padEnd(44)} median ${fmtSeconds(median(xs))}  [${xs.map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`accel: ${warm.summary.guest?.accel} (${warm.summary.guest?.accelReason})`);
  show('raw boot to shell + poweroff (bzImage)', rawBz);
  if (rawPvh.length) show('raw boot to shell + poweroff (PVH vmlinux)', rawPvh);
  show('lab run damon-smoke --no-snapshot (booted)', lab);
  show('lab run damon-smoke (restored from snapshot)', restored);
  for (const [stage, xs] of stages) console.log(`  stage ${stage.padEnd(11)} median ${fmtSeconds(median(xs))}`);
  console.log("  (stages with * are the restored runs')");
  const ratio = median(lab) / median(rawBz);
  console.log(
    `ratio booted lab / raw bzImage boot: ${ratio.toFixed(2)} (target ≤ 1.50: ${ratio <= 1.5 ? 'met' : 'NOT met'})`,
  );
  const back = median(restored) / median(rawBz);
  console.log(
    `ratio restored lab / raw bzImage boot: ${back.toFixed(2)} (target ≤ 1.00: ${back <= 1 ? 'met' : 'NOT met'})`,
  );
  if (rawPvh.length) {
    const own = median(lab) - median(rawPvh);
    console.log(
      `ratio booted lab / raw PVH boot of the same files: ${(median(lab) / median(rawPvh)).toFixed(2)}; the lab's own cost over it ${fmtSeconds(own)} (target < 1 s: ${own < 1 ? 'met' : 'NOT met'})`,
    );
    console.log(`ratio restored lab / raw PVH boot: ${(median(restored) / median(rawPvh)).toFixed(2)}`);
  }
}

/**
 * `npm run bench [-- NAME…]`: the cheap benchmarks by default; cold-build and kunit (kernel builds from scratch) when
 * named.
 */
const benches: Record<string, () => Promise<void>> = {
  smoke: smokeVsRawBoot,
  'warm-build': () => warmBuildBench(reps),
  'incremental-build': incrementalBuildBench,
  'cold-build': coldBuildBench,
  kunit: kunitBench,
  bisect: bisectBench,
  matrix: () => matrixBench(Math.min(reps, 3)),
};
const wanted = process.argv.slice(2);
for (const name of wanted)
  if (!benches[name]) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}`);
for (const name of wanted.length ? wanted : ['smoke', 'warm-build', 'incremental-build', 'matrix'])
  await benches[name]!();
