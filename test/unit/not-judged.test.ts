import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseKtap } from '../../harness/results/ktap-parser.js';
import { ktapRecords } from '../../harness/results/ktap-records.js';
import { applyNotJudged } from '../../harness/results/not-judged.js';
import { loadSuite } from '../../harness/suites/suite-catalog.js';

// Real run_kselftest.sh output: the damon collection on the damon-7.2 kernel in a TCG guest.
const tap = readFileSync(new URL('../fixtures/kselftest/damon-7.2-tcg.tap', import.meta.url), 'utf8');
const records = ktapRecords(parseKtap(tap), 'damon-selftests');
const rules = (loadSuite('damon-selftests').params as { not_judged: Parameters<typeof applyNotJudged>[1] }).not_judged;
const statusOf = (rs: ReturnType<typeof applyNotJudged>) =>
  Object.fromEntries(rs.map((r) => [r.name.replace('selftests: damon: ', ''), r.status]));

t.test('the recorded 7.2 TCG run: 10 PASS, 4 FAIL as run_kselftest.sh says', async (t) => {
  t.equal(records.length, 14);
  t.same(
    records.filter((r) => r.status === 'FAIL').map((r) => r.name.replace('selftests: damon: ', '')),
    [
      'sysfs.py',
      'sysfs_update_schemes_tried_regions_wss_estimation.py',
      'damos_apply_interval.py',
      'sysfs_no_op_commit_break.py',
    ],
  );
});

t.test("under TCG, the suite's rules make the four SKIP, each with its reason and what the test printed", async (t) => {
  const out = applyNotJudged(records, rules, 'tcg');
  const s = statusOf(out);
  t.same(
    [
      s['sysfs.py'],
      s['sysfs_no_op_commit_break.py'],
      s['sysfs_update_schemes_tried_regions_wss_estimation.py'],
      s['damos_apply_interval.py'],
    ],
    ['SKIP', 'SKIP', 'SKIP', 'SKIP'],
  );
  t.equal(out.filter((r) => r.status === 'PASS').length, 10, 'every PASS stays a PASS');
  const sysfs = out.find((r) => r.name.endsWith('sysfs.py'))!;
  t.match(
    sysfs.reason,
    /^not judged here: needs drgn .*; it failed: before-commit|^not judged here: needs drgn .*; it failed: drgn not found/,
  );
  t.match(
    out.find((r) => r.name.endsWith('damos_apply_interval.py'))!.reason,
    /\(under tcg\); it failed: 1 \/ 1 = 1\.000000 \(< 9\)/,
  );
});

t.test('under KVM the TCG rules are off: the timing tests stay FAIL; a missing tool is still not judged', async (t) => {
  const s = statusOf(applyNotJudged(records, rules, 'kvm'));
  t.equal(s['sysfs_update_schemes_tried_regions_wss_estimation.py'], 'FAIL');
  t.equal(s['damos_apply_interval.py'], 'FAIL');
  t.equal(s['sysfs.py'], 'SKIP');
});

t.test('an output rule needs its text: sysfs.py failing for another reason stays FAIL', async (t) => {
  const other = records.map((r) =>
    r.name.endsWith(': sysfs.py') ? { ...r, log: 'assertion failed: nr_regions 3 != 4' } : r,
  );
  t.equal(statusOf(applyNotJudged(other, rules, 'tcg'))['sysfs.py'], 'FAIL');
});
