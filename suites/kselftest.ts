import { z } from 'zod';
import { parseKtap, countLeaves } from '../harness/results/ktap-parser.js';
import { ktapRecords } from '../harness/results/ktap-records.js';
import { shellJoin } from '../harness/guest/shell-quote.js';
import type { Scenario } from '../harness/suites/scenario.js';
import { applyNotJudged } from '../harness/results/not-judged.js';

/**
 * Installed kselftests (kselftest-install, at /opt/kselftest in the guest) run with the kernel's own
 * run_kselftest.sh, with a per-test timeout; its TAP is parsed into one record per test. A test that
 * finds the kernel without the interface it needs reports SKIP (kselftest's exit code 4), and stays SKIP.
 */
const Params = z
  .object({
    collection: z.string().regex(/^[a-z0-9_/-]+$/),
    /** Seconds each test may take (run_kselftest.sh -o). */
    per_test_timeout: z.number().int().positive().max(86400).default(120),
    /** Run only these tests of the collection (default: all). */
    tests: z.array(z.string().regex(/^[A-Za-z0-9_.-]+$/)).default([]),
    /**
     * Tests that cannot be judged in some environments (a tool the guest lacks, TCG timing): their FAIL is a SKIP with
     * the reason.
     */
    not_judged: z
      .array(
        z
          .object({
            test: z.string().min(1),
            output: z.string().min(1).optional(),
            accel: z.enum(['tcg', 'kvm']).optional(),
            reason: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

const scenario: Scenario = {
  checks: ['kselftests_installed', 'run_kselftest'],
  async run({ suite, ssh, checks, log, saveArtifact, accel }) {
    const p = Params.parse(suite.params);
    await checks.check('kselftests_installed', async () => {
      const r = await ssh.exec(
        `test -x /opt/kselftest/run_kselftest.sh && cd /opt/kselftest && ./run_kselftest.sh -l 2>/dev/null | grep -c '^${p.collection}:' ; true`,
      );
      const n = Number(r.stdout.trim().split('\n').pop());
      if (!(n > 0))
        throw new Error(
          `no ${p.collection} kselftests under /opt/kselftest (build the kernel with artifacts.selftests: [${p.collection}])`,
        );
      log(`${n} ${p.collection} kselftests installed`);
    });
    const output = await checks.check('run_kselftest', async () => {
      const select = p.tests.length ? p.tests.flatMap((t) => ['-t', `${p.collection}:${t}`]) : ['-c', p.collection];
      const argv = ['./run_kselftest.sh', ...select, '-o', String(p.per_test_timeout)];
      // Into a file opened for append, not straight down the SSH channel: kselftest's runner re-opens
      // /dev/stdout to append each test's output, which fails on a socket (OpenSSH's exec channels) and,
      // on a file opened without O_APPEND, overwrites the result lines.
      const r = await ssh.exec(
        `cd /opt/kselftest && : >/tmp/kselftest.out && ${shellJoin(argv)} >>/tmp/kselftest.out 2>&1; cat /tmp/kselftest.out`,
      );
      saveArtifact('kselftest.tap', r.stdout);
      // run_kselftest.sh exits non-zero when a test fails; the TAP says which, so only no TAP is an error here.
      if (!/^(TAP version|1\.\.)/m.test(r.stdout))
        throw new Error(`run_kselftest.sh printed no TAP (exit ${r.code}):\n${r.stdout.slice(-2000)}`);
      return r.stdout;
    });
    if (output === undefined) return;
    const tree = parseKtap(output);
    const c = countLeaves(tree);
    log(`${c.total} tests: ${c.PASS} pass, ${c.FAIL} fail, ${c.SKIP} skip, ${c.ERROR} error, ${c.MISS} missing`);
    const raw = ktapRecords(tree, suite.name);
    const records = applyNotJudged(raw, p.not_judged, accel);
    const notJudged = records.filter((r, i) => r.status !== raw[i]!.status);
    if (notJudged.length)
      log(
        `${notJudged.length} failure(s) not judged here (see each reason): ${notJudged.map((r) => r.name).join(', ')}`,
      );
    checks.addRecords(records);
  },
};

export default scenario;
