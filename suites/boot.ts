import type { Scenario } from '../harness/suites/scenario.js';

/** One round trip: the guest runs a shell over SSH, and its kernel is the one the run chose. */
const scenario: Scenario = {
  checks: ['guest_runs_the_kernel'],
  async run({ ssh, kernel, checks, log }) {
    await checks.check('guest_runs_the_kernel', async () => {
      const release = (await ssh.check('uname -r')).trim();
      log(`uname -r: ${release}`);
      if (release !== kernel.release) throw new Error(`the guest runs ${release}, not ${kernel.release}`);
    });
  },
};

export default scenario;
