import { z } from 'zod';
import { SkipCheck } from '../harness/suites/check-recorder.js';
import { startHotcold, stopWorkload } from '../harness/guest/workload.js';
import { sleep } from '../harness/util/abort.js';
import type { Scenario } from '../harness/suites/scenario.js';

/**
 * The perf-event access check: where a DAMON context has a perf_events/ directory (the series adds it)
 * and the guest's PMU can sample memory addresses, configure one event and check that the monitored
 * regions see accesses. Otherwise each missing piece is its own SKIP, with the exact reason.
 */
const Params = z
  .object({
    /** PMU events that sample data addresses, tried in order (Intel PEBS, AMD IBS op). */
    events: z.array(z.object({ pmu: z.string(), event: z.string().optional() }).strict()).min(1),
    sample_period: z.number().int().positive(),
    region_mib: z.number().int().positive(),
    hot_mib: z.number().int().positive(),
    settle_ms: z.number().int().positive().max(3.6e6),
  })
  .strict();

const scenario: Scenario = {
  checks: ['kernel_has_perf_events_dir', 'guest_pmu_samples_memory', 'regions_see_accesses'],
  async run({ suite, kernel, ssh, checks, log, damonSysfs }) {
    const p = Params.parse(suite.params);
    const damon = damonSysfs();
    const probe = await damon.probe();
    const missing: string[] = [];
    await checks.always('kernel_has_perf_events_dir', async () => {
      if (!probe.features.perfEvents) {
        missing.push('perf_events/');
        throw new SkipCheck(
          `kernel ${kernel.release} has no perf_events/ directory in a DAMON context (kdamonds/0/contexts/0/perf_events): the perf-event access check series adds it`,
        );
      }
    });
    const chosen = await checks.always('guest_pmu_samples_memory', async () => {
      const r = await ssh.exec(
        'ls /sys/bus/event_source/devices; for d in /sys/bus/event_source/devices/*/events/mem-loads; do [ -e "$d" ] && echo "MEM $d"; done; true',
      );
      const pmus = r.stdout.split('\n').filter((l) => l && !l.startsWith('MEM '));
      const memLoads = r.stdout.includes('MEM ');
      for (const e of p.events) {
        if (!pmus.includes(e.pmu)) continue;
        if (e.event === 'mem-loads' && !memLoads) continue;
        const type = Number((await ssh.check(`cat /sys/bus/event_source/devices/${e.pmu}/type`)).trim());
        log(`sampling PMU: ${e.pmu}${e.event ? `/${e.event}` : ''} (type ${type})`);
        return { ...e, type };
      }
      missing.push('pmu');
      throw new SkipCheck(
        `the guest has no PMU that samples data addresses (wanted ${p.events.map((e) => `${e.pmu}${e.event ? `/${e.event}` : ''}`).join(' or ')}; it has ${pmus.join(', ') || 'none'}): a KVM guest with a vPMU (pmu: legacy or mediated) or IBS passed through is needed`,
      );
    });
    await checks.always('regions_see_accesses', async () => {
      if (missing.length || !chosen) throw new SkipCheck(`needs ${missing.join(' and ')} (see the checks above)`);
      const w = await startHotcold(ssh, { sizeMiB: p.region_mib, hotMiB: p.hot_mib, hotOffsetMiB: 0 });
      try {
        // perf_events/ layout as in the series' RFC: nr_perf_events, then <n>/{type,config,sample_period}.
        const ctx = `${damon.root}/kdamonds/0/contexts/0`;
        await damon.apply({
          kdamonds: [{ contexts: [{ operations: 'vaddr', targets: [{ pid: w.pid }], schemes: [{ action: 'stat' }] }] }],
        });
        await ssh.check(
          `echo 1 > ${ctx}/perf_events/nr_perf_events && echo ${chosen.type} > ${ctx}/perf_events/0/type && echo ${p.sample_period} > ${ctx}/perf_events/0/sample_period`,
        );
        await damon.command(0, 'on');
        await sleep(p.settle_ms);
        const regions = await damon.snapshot(0, 0, 0);
        await damon.command(0, 'off');
        const seen = regions.filter((r) => r.nrAccesses > 0);
        if (seen.length === 0) throw new Error(`no region saw an access through ${chosen.pmu} in ${p.settle_ms} ms`);
        return seen.length;
      } finally {
        await stopWorkload(ssh, w.pid);
      }
    });
  },
};

export default scenario;
