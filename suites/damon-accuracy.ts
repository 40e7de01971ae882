import { z } from 'zod';
import { hotcoldParams, intervalParams } from '../harness/suites/common-params.js';
import { statEverything } from '../harness/damon/config.js';
import { scoreSnapshot, type Accuracy } from '../harness/damon/accuracy.js';
import { startCpuHog, startHotcold, stopWorkload, type HotcoldRun } from '../harness/guest/workload.js';
import { SkipCheck } from '../harness/suites/check-recorder.js';
import { sleep } from '../harness/util/abort.js';
import { accessesPerSecond, cpuPercent, sampleKdamondCpu } from '../harness/damon/kdamond-cpu.js';
import { regionHeatmapSvg, type RegionSnapshot } from '../harness/report/svg-plots.js';
import type { Scenario, ScenarioContext } from '../harness/suites/scenario.js';

/**
 * How well DAMON finds a known hot set, in virtual (vaddr, on the workload's pid) and physical (paddr,
 * on all of System RAM) address space. Each monitoring mode reads snapshots every few aggregation
 * intervals until recall and precision reach the thresholds: the time that takes is "time to detect".
 */
const Params = z
  .object({
    ...hotcoldParams,
    ...intervalParams,
    hot_share: z.number().gt(0).max(1),
    min_recall: z.number().min(0).max(1),
    min_precision: z.number().min(0).max(1),
    max_detect_seconds: z.number().positive().max(86400),
    modes: z.array(z.enum(['vaddr', 'paddr'])).min(1),
    /** Snapshots taken after detection, for the heatmap. */
    extra_snapshots: z.number().int().min(0).default(10),
    /**
     * After detection, seconds of quiet monitoring (no commands) over which kdamond's own CPU time is
     * measured: the cost a series that touches the sampling path is compared by (0: not measured).
     */
    cpu_window_s: z.number().min(0).max(3600).default(5),
    /**
     * A busy loop pinned to the workload's CPU with the workload, halving its share of that CPU: a regression planted
     * on purpose, for showing that `lab ab` flags a workload slowed down (suites/variants/damon-accuracy-vaddr-hog.yaml).
     */
    cpu_hog: z.boolean().default(false),
  })
  .strict();
type P = z.output<typeof Params>;

const pct = (x: number) => Math.round(x * 1000) / 10;

/** System RAM ranges from /proc/iomem (root sees the addresses). */
async function systemRam(ctx: ScenarioContext): Promise<Array<[bigint, bigint]>> {
  const out = await ctx.ssh.check("grep 'System RAM' /proc/iomem");
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [s, e] = l.trim().split(' ')[0]!.split('-');
      return [BigInt(`0x${s}`), BigInt(`0x${e}`) + 1n] as [bigint, bigint];
    });
}

async function measure(
  ctx: ScenarioContext,
  p: P,
  mode: 'vaddr' | 'paddr',
  w: HotcoldRun,
): Promise<{ acc: Accuracy; seconds: number; window?: { kdamondCpu: number; accessesPerSecond?: number } }> {
  const damon = ctx.damonSysfs();
  const probe = await damon.probe();
  if (!probe.availOperations.includes(mode))
    throw new SkipCheck(`this kernel's avail_operations has no ${mode}: ${probe.availOperations.join(' ')}`);
  let truth: Array<[bigint, bigint]>;
  let targets;
  if (mode === 'vaddr') {
    truth = [[BigInt(w.hotStart), BigInt(w.hotEnd)]];
    targets = [{ pid: w.pid }];
  } else {
    if (!w.hotPhys?.length) throw new Error('hotcold reported no physical ranges for its hot set (pagemap needs root)');
    truth = w.hotPhys.map(([s, e]) => [BigInt(s), BigInt(e)] as [bigint, bigint]);
    // paddr needs explicit regions: the largest System RAM range, where the workload's pages live.
    const ram = (await systemRam(ctx)).sort((a, b) => Number(b[1] - b[0] - (a[1] - a[0])));
    targets = [{ regions: [{ start: ram[0]![0].toString(), end: ram[0]![1].toString() }] }];
  }
  await damon.apply({
    kdamonds: [
      {
        contexts: [
          {
            operations: mode,
            intervals: { sampleUs: p.sample_us, aggrUs: p.aggr_us, updateUs: p.update_us },
            nrRegions: { min: 10, max: 1000 },
            targets,
            schemes: [statEverything()],
          },
        ],
      },
    ],
  });
  const t0 = Date.now();
  await damon.command(0, 'on');
  try {
    let best: Accuracy = { recall: 0, precision: 0, hotBytes: 0n };
    const snaps: RegionSnapshot[] = [];
    const plot = () =>
      ctx.addPlot(
        `${mode}: DAMON regions over time`,
        regionHeatmapSvg(snaps, `${mode} monitoring of hotcold (blue: the known hot set)`, truth),
      );
    for (;;) {
      await sleep((5 * p.aggr_us) / 1000);
      const regions = await damon.snapshot(0, 0, 0);
      snaps.push({ seconds: (Date.now() - t0) / 1000, regions });
      const acc = scoreSnapshot(regions, truth, p.hot_share);
      if (acc.recall * acc.precision > best.recall * best.precision) best = acc;
      const seconds = (Date.now() - t0) / 1000;
      // A few more snapshots after detection make the heatmap show the hot set held, not just found.
      if (acc.recall >= p.min_recall && acc.precision >= p.min_precision) {
        for (let i = 0; i < p.extra_snapshots; i++) {
          await sleep((5 * p.aggr_us) / 1000);
          snaps.push({ seconds: (Date.now() - t0) / 1000, regions: await damon.snapshot(0, 0, 0) });
        }
        plot();
        return { acc, seconds, ...(p.cpu_window_s > 0 ? { window: await quietWindow(ctx, p, w) } : {}) };
      }
      if (seconds > p.max_detect_seconds) {
        plot();
        throw new Error(
          `${mode}: not detected within ${p.max_detect_seconds} s; best snapshot recall ${pct(best.recall)}%, precision ${pct(best.precision)}% (need ${pct(p.min_recall)}% and ${pct(p.min_precision)}%)`,
        );
      }
    }
  } finally {
    await damon.command(0, 'off').catch(() => {});
  }
}

/**
 * Over a window with no user commands: kdamond 0's share of a CPU, in percent, and the workload's accesses per second
 * (its hot loop's passes times the pages each writes): what monitoring costs, and whether it slows the workload.
 */
async function quietWindow(
  ctx: ScenarioContext,
  p: P,
  w: HotcoldRun,
): Promise<{ kdamondCpu: number; accessesPerSecond?: number }> {
  const { pid } = await ctx.damonSysfs().status(0);
  const a = await sampleKdamondCpu(ctx.ssh, pid, w.countFile);
  await sleep(p.cpu_window_s * 1000);
  const b = await sampleKdamondCpu(ctx.ssh, pid, w.countFile);
  const pagesPerPass = (p.hot_mib * 1024 * 1024) / w.pageSize;
  return {
    kdamondCpu: cpuPercent(a, b),
    ...(w.countFile ? { accessesPerSecond: accessesPerSecond(a, b, pagesPerPass) } : {}),
  };
}

const scenario: Scenario = {
  checks: ['workload_starts', 'vaddr_detects_hot_set', 'paddr_detects_hot_set'],
  async run(ctx) {
    const p = Params.parse(ctx.suite.params);
    const w = await ctx.checks.check('workload_starts', () =>
      startHotcold(ctx.ssh, {
        sizeMiB: p.region_mib,
        hotMiB: p.hot_mib,
        hotOffsetMiB: p.hot_offset_mib,
        phys: true,
        countFile: '/tmp/hotcold.count',
      }),
    );
    let hog: number | undefined;
    try {
      if (w && p.cpu_hog) {
        hog = await startCpuHog(ctx.ssh, w.pid);
        ctx.log(`a busy loop (pid ${hog}) shares CPU 0 with the workload (cpu_hog)`);
      }
      for (const mode of ['vaddr', 'paddr'] as const) {
        const name = `${mode}_detects_hot_set`;
        if (!p.modes.includes(mode)) {
          ctx.checks.skipAll([name], `not in this suite's modes (${p.modes.join(', ')})`);
          continue;
        }
        if (!w) {
          await ctx.checks.check(name, async () => undefined);
          continue;
        }
        await ctx.checks.always(
          name,
          async () => {
            const r = await measure(ctx, p, mode, w);
            ctx.log(
              `${mode}: recall ${pct(r.acc.recall)}%, precision ${pct(r.acc.precision)}%, detected in ${r.seconds.toFixed(1)} s${r.window === undefined ? '' : `; kdamond used ${r.window.kdamondCpu.toFixed(1)}% of a CPU over ${p.cpu_window_s} s${r.window.accessesPerSecond === undefined ? '' : `, the workload made ${Math.round(r.window.accessesPerSecond)} accesses/s`}`}`,
            );
            return r;
          },
          (r) => [
            { name: 'recall', value: pct(r.acc.recall), unit: '%' },
            { name: 'precision', value: pct(r.acc.precision), unit: '%' },
            { name: 'time_to_detect', value: Math.round(r.seconds * 10) / 10, unit: 's' },
            ...(r.window === undefined
              ? []
              : [{ name: 'kdamond_cpu', value: Math.round(r.window.kdamondCpu * 10) / 10, unit: '%' }]),
            ...(r.window?.accessesPerSecond === undefined
              ? []
              : [{ name: 'accesses_per_second', value: Math.round(r.window.accessesPerSecond), unit: 'acc/s' }]),
          ],
        );
      }
    } finally {
      if (hog !== undefined) await stopWorkload(ctx.ssh, hog);
      if (w) await stopWorkload(ctx.ssh, w.pid);
    }
  },
};

export default scenario;
