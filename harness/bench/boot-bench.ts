import { QEMU_BINARY } from '../local-host/qemu-binary.js';
import { rawBootToShell } from './raw-boot.js';
import { labRun } from './lab-run.js';
import { itemiseRun, type CostItem } from './run-cost.js';
import { argvAfter, fmtSeconds, median } from './stats.js';

/**
 * `npm run bench -- smoke`: boot to verdict. Raw QEMU boots of the very files the lab boots (the bzImage a
 * developer would type, the PVH vmlinux the lab uses) against `lab run boot` (one SSH round trip: the lab's
 * own cost), `lab run damon-smoke` booted, and `lab run damon-smoke` restored from its snapshot; interleaved,
 * so the host's drift (these machines share their CPUs) spreads over all of them.
 */
export async function bootBench(reps: number): Promise<void> {
  console.log(
    `== boot to verdict (warm caches) vs raw QEMU boot to a shell and poweroff; ${reps} repetitions, interleaved`,
  );
  await labRun('boot'); // warm-up: the image, the probe verdict
  const warm = await labRun('damon-smoke'); // …and damon-smoke's snapshot
  // Both baselines use the very initramfs the lab booted.
  const pvhKernel = argvAfter(warm.summary.guest!.argv!, ['-kernel'])[1]!;
  const bzImage = warm.summary.kernel!.vmlinuz;
  const initrd = warm.summary.image!.path;
  const accelArgs = argvAfter(warm.summary.guest!.argv!, ['-accel', '-cpu']);
  const raw = (kernel: string) =>
    rawBootToShell({ qemu: QEMU_BINARY, kernel, initrd, cpus: 2, memoryMiB: 1024, accelArgs });
  const series = {
    rawBz: [] as number[],
    rawPvh: [] as number[],
    boot: [] as number[],
    smoke: [] as number[],
    restored: [] as number[],
  };
  const costs = { boot: [] as CostItem[][], smoke: [] as CostItem[][] };
  const stages = new Map<string, number[]>();
  for (let i = 0; i < reps; i++) {
    series.rawBz.push(await raw(bzImage));
    if (pvhKernel !== bzImage) series.rawPvh.push(await raw(pvhKernel));
    const b = await labRun('boot', ['--no-snapshot']);
    series.boot.push(b.seconds);
    costs.boot.push(itemiseRun(b.summary, b.seconds, b.consoleText));
    const s = await labRun('damon-smoke', ['--no-snapshot']);
    series.smoke.push(s.seconds);
    costs.smoke.push(itemiseRun(s.summary, s.seconds, s.consoleText));
    const r = await labRun('damon-smoke');
    if (!r.summary.snapshot?.restoredFrom)
      throw new Error(`the warm run was not restored: ${r.summary.snapshot?.note ?? 'no snapshot'}`);
    series.restored.push(r.seconds);
    for (const st of r.summary.stages) stages.set(st.stage, [...(stages.get(st.stage) ?? []), st.seconds]);
  }
  const show = (label: string, xs: number[]) =>
    console.log(`${label.padEnd(48)} median ${fmtSeconds(median(xs))}  [${xs.map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`accel: ${warm.summary.guest?.accel} (${warm.summary.guest?.accelReason})`);
  show('raw boot to shell + poweroff (bzImage)', series.rawBz);
  if (series.rawPvh.length) show('raw boot to shell + poweroff (PVH vmlinux)', series.rawPvh);
  show('lab run boot --no-snapshot (booted)', series.boot);
  show('lab run damon-smoke --no-snapshot (booted)', series.smoke);
  show('lab run damon-smoke (restored from snapshot)', series.restored);
  showCosts('where `lab run boot --no-snapshot` spends its time (medians)', costs.boot);
  showCosts('where `lab run damon-smoke --no-snapshot` spends its time (medians)', costs.smoke);
  console.log('stages of the restored damon-smoke runs (medians):');
  for (const [stage, xs] of stages) console.log(`  ${stage.padEnd(11)} ${fmtSeconds(median(xs))}`);

  const restoredRatio = median(series.restored) / median(series.rawBz);
  console.log(
    `ratio restored damon-smoke / raw bzImage boot: ${restoredRatio.toFixed(2)} (target ≤ 1.00: ${restoredRatio <= 1 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `ratio booted damon-smoke / raw bzImage boot: ${(median(series.smoke) / median(series.rawBz)).toFixed(2)}`,
  );
  if (series.rawPvh.length) {
    // Each lab run against the raw boot made just before it: the host's slow and fast spells (these machines
    // share their CPUs) cancel within a pair, not across the medians of two columns.
    const own = median(series.boot.map((b, i) => b - series.rawPvh[i]!));
    console.log(
      `the lab's own cost on a booted run: lab run boot − raw PVH boot of the same files, median of ${series.boot.length} pairs = ${fmtSeconds(own)} (target < 1 s: ${own < 1 ? 'met' : 'NOT met'}); ratio of medians ${(median(series.boot) / median(series.rawPvh)).toFixed(2)}`,
    );
    console.log(
      `ratio restored damon-smoke / raw PVH boot: ${(median(series.restored) / median(series.rawPvh)).toFixed(2)}`,
    );
  }
}

/** The per-item medians of several runs' cost breakdowns; (lab) marks the lab's own work. */
function showCosts(title: string, runs: CostItem[][]): void {
  console.log(`${title}:`);
  const names = [...new Set(runs.flatMap((r) => r.map((c) => c.item)))];
  for (const name of names) {
    const xs = runs.flatMap((r) => r.filter((c) => c.item === name).map((c) => c.seconds));
    const own = runs.some((r) => r.some((c) => c.item === name && c.own));
    const counts = runs.flatMap((r) => r.filter((c) => c.item === name && c.count !== undefined).map((c) => c.count!));
    const label = counts.length ? `${name} (${median(counts)})` : name;
    console.log(`  ${label.padEnd(46)} ${fmtSeconds(median(xs))}${own ? '  (lab)' : ''}`);
  }
}
