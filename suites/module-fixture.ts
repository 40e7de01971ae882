import { z } from 'zod';
import { shq } from '../harness/guest/shell-quote.js';
import type { Scenario } from '../harness/suites/scenario.js';

const Params = z
  .object({ module: z.string(), test_module: z.string(), knob: z.string(), kunit_suite: z.string() })
  .strict();

const scenario: Scenario = {
  checks: [
    'module_is_installed',
    'modprobe_loads_it',
    'knob_reads_default',
    'knob_accepts_a_write',
    'knob_rejects_out_of_range',
    'kunit_suite_passes',
    'rmmod_unloads_it',
  ],
  async run({ suite, ssh, checks, log }) {
    const p = Params.parse(suite.params);
    const mod = shq(p.module);
    const knob = shq(p.knob);
    await checks.check('module_is_installed', async () => {
      const r = await ssh.exec(
        `modinfo -F filename ${mod} 2>/dev/null || find /lib/modules -name ${shq(`${p.module}.ko*`)}`,
      );
      if (!r.stdout.trim()) throw new Error(`${p.module}.ko is not under /lib/modules/$(uname -r)`);
      log(`module file: ${r.stdout.trim()}`);
    });
    await checks.check('modprobe_loads_it', async () => {
      const r = await ssh.exec(`modprobe ${mod} && grep -w ^${mod} /proc/modules`);
      if (r.code !== 0) throw new Error(`modprobe ${p.module} failed: ${r.stderr.trim()}`);
    });
    await checks.check('knob_reads_default', async () => {
      const v = (await ssh.check(`cat ${knob}`)).trim();
      if (v !== '42') throw new Error(`${p.knob} reads '${v}', expected 42`);
    });
    await checks.check('knob_accepts_a_write', async () => {
      const v = (await ssh.check(`echo 100 > ${knob} && cat ${knob}`)).trim();
      if (v !== '100') throw new Error(`${p.knob} reads '${v}' after writing 100`);
    });
    await checks.check('knob_rejects_out_of_range', async () => {
      const r = await ssh.exec(`echo 20000 > ${knob}`);
      if (r.code === 0) throw new Error(`writing 20000 to ${p.knob} succeeded`);
      if (!/Invalid argument/.test(r.stderr)) throw new Error(`unexpected error: ${r.stderr.trim()}`);
    });
    await checks.check('kunit_suite_passes', async () => {
      const results = `/sys/kernel/debug/kunit/${p.kunit_suite}/results`;
      const r = await ssh.exec(`modprobe ${shq(p.test_module)} && cat ${shq(results)}`);
      if (r.code !== 0) throw new Error(`modprobe ${p.test_module} or reading ${results} failed: ${r.stderr.trim()}`);
      log(r.stdout.trim().split('\n').slice(-2).join(' | '));
      if (!new RegExp(`^ok \\d+ ${p.kunit_suite}$`, 'm').test(r.stdout))
        throw new Error(`KUnit suite ${p.kunit_suite} did not report ok:\n${r.stdout}`);
    });
    await checks.always('rmmod_unloads_it', async () => {
      const r = await ssh.exec(
        `rmmod ${shq(p.test_module)} 2>/dev/null; rmmod ${mod} && ! grep -w ^${mod} /proc/modules && ! test -e ${knob}`,
      );
      if (r.code !== 0) throw new Error(`rmmod ${p.module} failed or left ${p.knob}: ${r.stderr.trim()}`);
    });
  },
};

export default scenario;
