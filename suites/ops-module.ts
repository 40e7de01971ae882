import { z } from 'zod';
import { shq } from '../harness/guest/shell-quote.js';
import { statEverything } from '../harness/damon/config.js';
import { SkipCheck } from '../harness/suites/check-recorder.js';
import type { Scenario, ScenarioContext } from '../harness/suites/scenario.js';

const Params = z
  .object({
    /** Load, run, refuse, stop, unload: this many times (a use-after-free tends to show on a later cycle). */
    cycles: z.number().int().min(1).max(100),
    /** Seconds the kdamond runs on the ops before the unload attempt. */
    run_seconds: z.number().positive().max(86400),
    sample_us: z.number().int().positive(),
    aggr_us: z.number().int().positive(),
  })
  .strict();

const STEPS = [
  'module_loads',
  'ops_in_avail_operations',
  'kdamond_starts_on_ops',
  'regions_are_reported',
  'rmmod_refused_while_running',
  'kdamond_stops',
  'rmmod_succeeds_after_stop',
  'ops_gone_from_avail_operations',
] as const;

/**
 * An operations set that comes as a module (damon_ibs.ko's paddr_ibs, or the fixture's damon_lab_ops /
 * paddr_lab), named by the series' ops_module: it loads, its ops appear in avail_operations, a kdamond
 * runs on them, rmmod is refused while it runs, the kdamond stops, rmmod succeeds, the ops are gone;
 * `cycles` times. Run it on a debug (KASAN) kernel: the console watcher turns a KASAN report into a FAIL.
 */
const scenario: Scenario = {
  checks: [
    'ops_module_declared',
    'kernel_has_kasan',
    'module_is_installed',
    ...STEPS.map((s) => `cycle_1.${s}`),
    'all_cycles_pass',
  ],
  async run(ctx) {
    const { suite, ssh, checks, log } = ctx;
    const p = Params.parse(suite.params);
    const om = await checks.check('ops_module_declared', async () => {
      const declared = ctx.series?.ops_module;
      if (!declared)
        throw new SkipCheck(
          `the kernel's series (${ctx.kernel.series ?? 'none: not a lab build'}) names no ops_module`,
        );
      return declared;
    });
    // Not a precondition: without KASAN the cycles still prove pinning and unloading, but a use-after-free
    // of the unloaded module may go unseen. always(): a SKIP here must not stop the chain.
    await checks.always('kernel_has_kasan', async () => {
      if (ctx.kernel.config.get('CONFIG_KASAN') !== 'y')
        throw new SkipCheck(
          'CONFIG_KASAN is not set: a use-after-free of the unloaded module would go unseen (use a debug series, e.g. lab-fixture-debug)',
        );
    });
    if (!om) {
      checks.skipAll(
        ['module_is_installed', ...STEPS.map((s) => `cycle_1.${s}`), 'all_cycles_pass'],
        'no ops_module to test',
      );
      return;
    }
    const mod = shq(om.module);
    await checks.check('module_is_installed', async () => {
      const r = await ssh.exec(
        `modinfo -F filename ${mod} 2>/dev/null || find /lib/modules -name ${shq(`${om.module}.ko*`)}`,
      );
      if (!r.stdout.trim()) throw new Error(`${om.module}.ko is not under /lib/modules/$(uname -r)`);
    });
    const damon = ctx.damonSysfs();
    const ram = await biggestSystemRam(ctx);
    let passed = 0;
    let noHardware: string | undefined;
    for (let cycle = 1; cycle <= p.cycles && !checks.chainBroken && !noHardware; cycle++) {
      const name = (s: (typeof STEPS)[number]) => `cycle_${cycle}.${s}`;
      await checks.check(name('module_loads'), async () => {
        const r = await ssh.exec(`dmesg -c >/dev/null 2>&1; modprobe ${mod} && grep -qw ^${mod} /proc/modules`);
        if (r.code === 0) return;
        const message = r.stderr.trim();
        // A module for hardware the guest CPU lacks refuses to load, by design: that is no failure of the
        // module, and what needs the hardware cannot run here. Say exactly why, with the module's own words.
        if (om.cpu_flag && /No such device/.test(message)) {
          const flags = await ssh.exec('grep -m1 ^flags /proc/cpuinfo');
          if (!new RegExp(`\\b${om.cpu_flag}\\b`).test(flags.stdout)) {
            const kmsg = (await ssh.exec('dmesg 2>/dev/null | tail -n 5')).stdout.trim();
            noHardware = `modprobe ${om.module}: ${message} (ENODEV): the guest CPU has no '${om.cpu_flag}' flag${om.cpu_flag === 'ibs' ? " (X86_FEATURE_IBS: QEMU's TCG does not emulate IBS; under KVM it needs an AMD host with IBS and kvm_amd's vIBS on)" : ''}${kmsg ? `; kernel log: ${kmsg.split('\n').join(' | ')}` : ''}`;
            throw new SkipCheck(noHardware);
          }
        }
        throw new Error(`modprobe ${om.module} failed: ${message}`);
      });
      if (noHardware) {
        checks.skipAll(
          STEPS.filter((s) => s !== 'module_loads').map(name),
          `needs the hardware ${om.module} drives: ${noHardware}`,
        );
        break;
      }
      await checks.check(name('ops_in_avail_operations'), async () => {
        const ops = (await damon.probe()).availOperations;
        if (!ops.includes(om.ops)) throw new Error(`avail_operations is '${ops.join(' ')}', without ${om.ops}`);
      });
      await checks.check(name('kdamond_starts_on_ops'), async () => {
        await damon.apply({
          kdamonds: [
            {
              contexts: [
                {
                  operations: om.ops,
                  intervals: { sampleUs: p.sample_us, aggrUs: p.aggr_us, updateUs: p.aggr_us * 10 },
                  nrRegions: { min: 10, max: 1000 },
                  targets: [{ regions: [{ start: ram[0].toString(), end: ram[1].toString() }] }],
                  schemes: [statEverything()],
                },
              ],
            },
          ],
        });
        await damon.command(0, 'on');
        const s = await damon.status(0);
        if (s.state !== 'on' || !(s.pid > 0)) throw new Error(`kdamond state '${s.state}', pid ${s.pid}`);
      });
      await checks.check(name('regions_are_reported'), async () => {
        await new Promise((r) => setTimeout(r, p.run_seconds * 1000));
        const regions = await damon.snapshot(0, 0, 0);
        if (!regions.length) throw new Error(`no regions after ${p.run_seconds} s on ${om.ops}`);
        log(`cycle ${cycle}: ${regions.length} regions on ${om.ops}`);
      });
      await checks.check(name('rmmod_refused_while_running'), async () => {
        const r = await ssh.exec(`rmmod ${mod}; echo "rc=$?"; grep -w ^${mod} /proc/modules`);
        if (/rc=0/.test(r.stdout)) throw new Error(`rmmod ${om.module} succeeded while a kdamond ran ${om.ops}`);
        if (!new RegExp(`^${om.module} `, 'm').test(r.stdout))
          throw new Error(`${om.module} is no longer in /proc/modules`);
        log(`cycle ${cycle}: rmmod refused: ${r.stderr.trim().split('\n')[0]}`);
      });
      await checks.always(name('kdamond_stops'), async () => {
        if ((await damon.state(0)) !== 'on') return;
        await damon.command(0, 'off');
        const s = await damon.state(0);
        if (s !== 'off') throw new Error(`kdamond state '${s}' after off`);
      });
      await checks.check(name('rmmod_succeeds_after_stop'), async () => {
        const r = await ssh.exec(`rmmod ${mod} && ! grep -qw ^${mod} /proc/modules`);
        if (r.code !== 0) throw new Error(`rmmod ${om.module} after stopping the kdamond failed: ${r.stderr.trim()}`);
      });
      const gone = await checks.check(name('ops_gone_from_avail_operations'), async () => {
        const ops = (await damon.probe()).availOperations;
        if (ops.includes(om.ops))
          throw new Error(`avail_operations still lists ${om.ops} after rmmod: '${ops.join(' ')}'`);
        return true;
      });
      if (gone) passed++;
    }
    await checks.check('all_cycles_pass', async () => {
      if (noHardware) throw new SkipCheck(`no cycle can run here: ${noHardware}`);
      if (passed !== p.cycles) throw new Error(`${passed} of ${p.cycles} cycles passed`);
    });
  },
};

/** The largest System RAM range of the guest (paddr-style ops monitor physical addresses). */
async function biggestSystemRam(ctx: ScenarioContext): Promise<[bigint, bigint]> {
  const text = await ctx.ssh.check('grep "System RAM" /proc/iomem');
  const ranges = [...text.matchAll(/^\s*([0-9a-f]+)-([0-9a-f]+) : System RAM$/gm)].map(
    (m) => [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`) + 1n] as [bigint, bigint],
  );
  if (!ranges.length) throw new Error('no System RAM in /proc/iomem');
  return ranges.sort((a, b) => Number(b[1] - b[0] - (a[1] - a[0])))[0]!;
}

export default scenario;
