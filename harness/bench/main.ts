import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, repoRoot } from '../util/paths.js';
import { debianDefaultKernel } from '../kernel/debian-kernel.js';
import { QEMU_BINARY } from '../host/qemu-binary.js';
import type { RunSummary } from '../run/run-summary.js';
import { rawBootToShell } from './raw-boot.js';
import { fmtSeconds, median } from './stats.js';

/**
 * `npm run bench`: the lab against the raw commands it wraps, measured side by side in the same run.
 * Prints medians and ratios against each target; never fails on timing (targets are for people).
 */
const reps = Number(process.env.LAB_BENCH_REPS ?? 5);
const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');

async function labRun(suite: string): Promise<{ seconds: number; summary: RunSummary }> {
  const reports = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  const t0 = performance.now();
  const r = await execa('node', [labBin, 'run', suite, '--quiet'], { reject: false, env: { LAB_REPORTS: reports } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) throw new Error(`lab run ${suite} exited ${r.exitCode}: ${r.stderr}`);
  const dir = join(reports, readdirSync(reports)[0]!);
  return { seconds, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary };
}

async function smokeVsRawBoot(): Promise<void> {
  console.log(`== lab run damon-smoke (warm caches) vs raw QEMU boot to a shell and poweroff; ${reps} repetitions each, interleaved`);
  const warm = await labRun('damon-smoke'); // warm-up: caches, probe verdict
  const kernel = await debianDefaultKernel(cacheRoot());
  const initrd = warm.summary.image!.path;
  const accelArgs = warm.summary.guest?.argv ? argvAfter(warm.summary.guest.argv, ['-accel', '-cpu']) : ['-accel', 'tcg'];
  const lab: number[] = [];
  const raw: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i < reps; i++) {
    raw.push(await rawBootToShell({ qemu: QEMU_BINARY, kernel: kernel.vmlinuz, initrd, cpus: 2, memoryMiB: 1024, accelArgs }));
    const r = await labRun('damon-smoke');
    lab.push(r.seconds);
    for (const s of r.summary.stages) stages.set(s.stage, [...(stages.get(s.stage) ?? []), s.seconds]);
  }
  console.log(`accel: ${warm.summary.guest?.accel} (${warm.summary.guest?.accelReason})`);
  console.log(`raw boot to shell + poweroff  median ${fmtSeconds(median(raw))}  [${raw.map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`lab run damon-smoke           median ${fmtSeconds(median(lab))}  [${lab.map((x) => x.toFixed(2)).join(' ')}]`);
  for (const [stage, xs] of stages) console.log(`  stage ${stage.padEnd(10)} median ${fmtSeconds(median(xs))}`);
  const ratio = median(lab) / median(raw);
  console.log(`ratio lab/raw: ${ratio.toFixed(2)} (target ≤ 1.50: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);
}

/** The given flags and their values from an argv, to reproduce the lab's accelerator choice. */
function argvAfter(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (flags.includes(a) && argv[i + 1]) out.push(a, argv[i + 1]!);
  });
  return out;
}

await smokeVsRawBoot();
