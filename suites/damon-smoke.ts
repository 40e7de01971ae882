import { z } from 'zod';
import { hotcoldParams, intervalParams } from '../harness/suites/common-params.js';
import type { DamonRegion } from '../harness/damon/sysfs-driver.js';
import { statEverything } from '../harness/damon/config.js';
import { startHotcold, stopWorkload } from '../harness/guest/workload.js';
import { hottestRegion, overlapBytes } from '../harness/damon/regions.js';
import { sleep } from '../harness/util/abort.js';
import type { Scenario } from '../harness/suites/scenario.js';

const Params = z
  .object({
    ...hotcoldParams,
    ...intervalParams,
    settle_aggregations: z.number().int().positive(),
    max_wait_aggregations: z.number().int().positive(),
    hot_share: z.number().gt(0).max(1),
    /** Snapshots (a settle period apart) in which the hot range may show as the hottest region. */
    max_snapshots: z.number().int().min(1).default(5),
  })
  .strict();

const CHECKS = [
  'damon_sysfs_exists',
  'avail_operations_lists_vaddr',
  'workload_starts',
  'kdamond_starts_on_vaddr',
  'regions_are_read',
  'hottest_region_overlaps_hot_range',
  'kdamond_stops',
] as const;

const scenario: Scenario = {
  checks: CHECKS,
  async run({ suite, ssh, checks, log, damonSysfs }) {
    const p = Params.parse(suite.params);
    const damon = damonSysfs();

    // One probe serves both checks (each probe is a round trip into the guest).
    const probe = await checks.check('damon_sysfs_exists', async () => {
      const probe = await damon.probe();
      if (!probe.present) throw new Error('/sys/kernel/mm/damon/admin/kdamonds does not exist');
      return probe;
    });
    await checks.check('avail_operations_lists_vaddr', async () => {
      const { availOperations } = probe ?? (await damon.probe());
      log(`avail_operations: ${availOperations.join(' ')}`);
      if (!availOperations.includes('vaddr'))
        throw new Error(`avail_operations is "${availOperations.join(' ')}", without vaddr`);
    });
    const workload = await checks.check('workload_starts', () =>
      startHotcold(ssh, { sizeMiB: p.region_mib, hotMiB: p.hot_mib, hotOffsetMiB: p.hot_offset_mib }),
    );
    let started = false;
    try {
      await checks.check('kdamond_starts_on_vaddr', async () => {
        await damon.apply({
          kdamonds: [
            {
              contexts: [
                {
                  operations: 'vaddr',
                  intervals: { sampleUs: p.sample_us, aggrUs: p.aggr_us, updateUs: p.update_us },
                  nrRegions: { min: 10, max: 1000 },
                  targets: [{ pid: workload!.pid }],
                  schemes: [statEverything()],
                },
              ],
            },
          ],
        });
        const { state, pid } = await damon.start(0);
        started = true;
        if (state !== 'on') throw new Error(`state reads '${state}' after writing on`);
        if (!(pid > 0)) throw new Error(`kdamond pid reads ${pid}`);
        log(`kdamond running as pid ${pid}`);
      });
      const regions = await checks.check(
        'regions_are_read',
        async (): Promise<DamonRegion[]> => {
          // A snapshot can predate the first aggregation that saw the workload (a busy TCG guest runs
          // kdamond late), so read again, one settle period at a time, until accesses show up.
          const deadline = Date.now() + (p.max_wait_aggregations * p.aggr_us) / 1000;
          for (let attempt = 1; ; attempt++) {
            await sleep((p.settle_aggregations * p.aggr_us) / 1000);
            const r = await damon.snapshot(0, 0, 0);
            const max = Math.max(0, ...r.map((x) => x.nrAccesses));
            if (r.length > 0 && max > 0) {
              log(`${r.length} regions; max nr_accesses ${max}; snapshot ${attempt}`);
              return r;
            }
            if (Date.now() > deadline) {
              throw new Error(
                r.length === 0
                  ? 'tried_regions stayed empty after update_schemes_tried_regions'
                  : `${r.length} regions, none with accesses, after ${attempt} snapshots`,
              );
            }
          }
        },
        (r) => [{ name: 'nr_regions', value: r.length, unit: 'regions' }],
      );
      await checks.check(
        'hottest_region_overlaps_hot_range',
        async () => {
          const hot = { start: BigInt(workload!.hotStart), end: BigInt(workload!.hotEnd) };
          // One aggregation's snapshot is noisy in a TCG guest sharing the host (a stack page can out-count
          // the hot set in one interval): the hot range must be the hottest in one of a few snapshots, one
          // settle period apart, and the report says which.
          let snapshot = regions!;
          let describe = '';
          for (let n = 1; ; n++) {
            const best = hottestRegion(snapshot, p.hot_share);
            // A later aggregation can see nothing at all (kdamond starved on a loaded host): that snapshot
            // judges nothing, the next one may.
            describe = best
              ? `hottest region [0x${best.start.toString(16)}, 0x${best.end.toString(16)}) nr_accesses ${best.nrAccesses}; hot range [0x${hot.start.toString(16)}, 0x${hot.end.toString(16)})`
              : `no region saw any access; hot range [0x${hot.start.toString(16)}, 0x${hot.end.toString(16)})`;
            log(`${describe} (snapshot ${n})`);
            const overlap = best ? overlapBytes(best, hot) : 0n;
            if (overlap > 0n) return Number(overlap) / Number(hot.end - hot.start);
            if (n >= p.max_snapshots) break;
            await sleep((p.settle_aggregations * p.aggr_us) / 1000);
            snapshot = await damon.snapshot(0, 0, 0);
          }
          throw new Error(`${describe}: no overlap in ${p.max_snapshots} snapshot(s)`);
        },
        (share) => [{ name: 'hot_range_covered', value: Math.round(share * 1000) / 10, unit: '%' }],
      );
    } finally {
      await checks.always('kdamond_stops', async () => {
        const state = started ? await damon.stop(0) : await damon.state(0).catch(() => 'unreadable');
        if (state !== 'off') throw new Error(`state reads '${state}' after writing off`);
      });
      if (workload) await stopWorkload(ssh, workload.pid);
    }
  },
};

export default scenario;
