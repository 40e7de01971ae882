import { z } from 'zod';
import type { DamonRegion } from '../harness/damon/sysfs-driver.js';
import { statEverything } from '../harness/damon/config.js';
import { missingFeature } from '../harness/damon/sysfs-features.js';
import { startHotcold, stopWorkload, type HotcoldRun } from '../harness/guest/workload.js';
import { hotcoldParams, intervalParams } from '../harness/suites/common-params.js';
import { SkipCheck } from '../harness/suites/check-recorder.js';
import { sleep } from '../harness/util/abort.js';
import type { Scenario } from '../harness/suites/scenario.js';

/**
 * Data attributes monitoring (monitoring_attrs/probes/, 7.2+), checked against what the workloads know
 * they touched: probe 0 passes anonymous pages (filter anon, matching), probe 1 the rest (anon, not
 * matching). One hotcold keeps an anonymous hot set busy, another a hot set in a shared file mapping;
 * both report their hot sets' physical ranges. Over several snapshots, the probe hits of the regions
 * overlapping each hot set (weighted by the overlap) must fall mostly on that hot set's probe.
 * Probe hits are counted by paddr only (vaddr accepts probes and counts nothing), hence paddr.
 */
const Params = z
  .object({
    ...hotcoldParams,
    ...intervalParams,
    settle_aggregations: z.number().int().min(1),
    snapshots: z.number().int().min(1),
    min_right_share: z.number().gt(0).max(1),
  })
  .strict();

/** Pure: hits per probe in the regions overlapping `ranges`, each region weighted by its overlapped share. */
export function hitsOver(
  regions: readonly DamonRegion[],
  ranges: ReadonlyArray<[number, number]>,
  probes: number,
): number[] {
  const out = new Array<number>(probes).fill(0);
  for (const r of regions) {
    const [s, e] = [Number(r.start), Number(r.end)];
    const overlap = ranges.reduce((a, [rs, re]) => a + Math.max(0, Math.min(e, re) - Math.max(s, rs)), 0);
    if (!overlap || !r.probeHits) continue;
    r.probeHits.forEach((h, i) => {
      if (i < probes) out[i]! += (h * overlap) / (e - s);
    });
  }
  return out;
}

const scenario: Scenario = {
  checks: [
    'kernel_has_probes',
    'workloads_start',
    'probes_configured',
    'anon_hot_set_hits_anon_probe',
    'file_hot_set_hits_file_probe',
  ],
  async run({ suite, ssh, checks, log, damonSysfs }) {
    const p = Params.parse(suite.params);
    const damon = damonSysfs();
    const probe = await checks.check('kernel_has_probes', async () => {
      const pr = await damon.probe();
      const missing =
        missingFeature(pr, 'probes') ??
        (pr.availOperations.includes('paddr') ? undefined : 'avail_operations has no paddr, which probes need');
      if (missing) throw new SkipCheck(missing);
      return pr;
    });
    if (!probe) {
      const reason = checks.records.at(-1)?.reason ?? 'no probes';
      checks.skipAll(
        ['workloads_start', 'probes_configured', 'anon_hot_set_hits_anon_probe', 'file_hot_set_hits_file_probe'],
        reason,
      );
      return;
    }
    const w = { sizeMiB: p.region_mib, hotMiB: p.hot_mib, hotOffsetMiB: p.hot_offset_mib, phys: true };
    let anon: HotcoldRun | undefined;
    let file: HotcoldRun | undefined;
    try {
      await checks.check('workloads_start', async () => {
        anon = await startHotcold(ssh, w);
        file = await startHotcold(ssh, { ...w, file: '/tmp/lab-probes.dat' });
        if (!anon.hotPhys?.length || !file.hotPhys?.length)
          throw new Error('the workloads did not report their physical hot ranges (pagemap needs root)');
        log(`anon hot set: ${anon.hotPhys.length} physical run(s); file hot set: ${file.hotPhys.length}`);
      });
      const started = await checks.check('probes_configured', async () => {
        const ram = (await ssh.check("grep 'System RAM' /proc/iomem"))
          .trim()
          .split('\n')
          .map((l) => l.trim().split(' ')[0]!.split('-'));
        await damon.apply({
          kdamonds: [
            {
              contexts: [
                {
                  operations: 'paddr',
                  intervals: { sampleUs: p.sample_us, aggrUs: p.aggr_us, updateUs: p.update_us },
                  targets: [
                    {
                      regions: ram.map(([s, e]) => ({
                        start: BigInt(`0x${s}`).toString(),
                        end: (BigInt(`0x${e}`) + 1n).toString(),
                      })),
                    },
                  ],
                  probes: [
                    { filters: [{ type: 'anon', matching: true, allow: true }] },
                    { filters: [{ type: 'anon', matching: false, allow: true }] },
                  ],
                  schemes: [statEverything()],
                },
              ],
            },
          ],
        });
        await damon.command(0, 'on');
        return true;
      });
      const totals = { anon: [0, 0], file: [0, 0] };
      if (started) {
        await sleep((p.aggr_us / 1000) * p.settle_aggregations);
        for (let i = 0; i < p.snapshots; i++) {
          const regions = await damon.snapshot(0, 0, 0);
          hitsOver(regions, anon!.hotPhys!, 2).forEach((h, k) => {
            totals.anon[k]! += h;
          });
          hitsOver(regions, file!.hotPhys!, 2).forEach((h, k) => {
            totals.file[k]! += h;
          });
          await sleep(p.aggr_us / 1000);
        }
        log(
          `hits (anon probe, non-anon probe): anon hot set ${totals.anon.map((x) => x.toFixed(1)).join(', ')}; file hot set ${totals.file.map((x) => x.toFixed(1)).join(', ')}`,
        );
      }
      const judge = (which: 'anon' | 'file', right: 0 | 1) => async () => {
        if (!started) throw new Error('probes were not configured');
        const [a, b] = totals[which];
        const sum = a! + b!;
        if (sum === 0)
          throw new Error(`no probe hit at all in the ${which} hot set's regions over ${p.snapshots} snapshots`);
        const share = (right === 0 ? a! : b!) / sum;
        if (share < p.min_right_share)
          throw new Error(
            `${which} hot set: ${(share * 100).toFixed(0)}% of its hits on its own probe (need ${p.min_right_share * 100}%)`,
          );
        return share;
      };
      const metric = (v: number) => [{ name: 'right_probe_share', value: Math.round(v * 1000) / 10, unit: '%' }];
      await checks.check('anon_hot_set_hits_anon_probe', judge('anon', 0), metric);
      await checks.check('file_hot_set_hits_file_probe', judge('file', 1), metric);
    } finally {
      await damon.command(0, 'off').catch(() => {});
      for (const run of [anon, file]) if (run) await stopWorkload(ssh, run.pid);
      await ssh.exec('rm -f /tmp/lab-probes.dat').catch(() => {});
    }
  },
};

export default scenario;
