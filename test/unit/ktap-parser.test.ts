import t from 'tap';
import { readFileSync } from 'node:fs';
import { countLeaves, parseKtap, type KtapTest } from '../../harness/results/ktap-parser.js';
import { tokenizeLine, stripKernelPrefix } from '../../harness/results/ktap-lines.js';
import { ktapRecords, ktapJson } from '../../harness/results/ktap-records.js';
import { compareRuns } from '../../harness/compare/compare-runs.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/ktap/${f}`, import.meta.url), 'utf8');
const shape = (x: KtapTest): unknown => [x.name, x.status, ...(x.children.length ? [x.children.map(shape)] : [])];

t.test('kernel log prefixes are stripped', async (t) => {
  t.same(stripKernelPrefix('[    1.234567] ok 1 x'), { text: 'ok 1 x', ts: 1.234567 });
  t.same(stripKernelPrefix('<6>[    1.5][    T1] ok 1 x'), { text: 'ok 1 x', ts: 1.5 });
  t.same(stripKernelPrefix('<6>ok 1 x'), { text: 'ok 1 x' });
  t.same(stripKernelPrefix('    ok 1 x'), { text: '    ok 1 x' });
});

t.test('tokens: depth by indentation and by "# " nesting; directives', async (t) => {
  t.match(tokenizeLine('    ok 3 damon_test_x # SKIP needs paddr', 1), {
    kind: 'result',
    col: 4,
    ok: true,
    num: 3,
    name: 'damon_test_x',
    directive: 'SKIP',
    reason: 'needs paddr',
  });
  t.match(tokenizeLine('# # not ok 2 inner', 1), { kind: 'result', col: 4, ok: false, num: 2, name: 'inner' });
  t.match(tokenizeLine('not ok 3 selftests: damon: a # TIMEOUT 45 seconds', 1), {
    kind: 'result',
    directive: 'TIMEOUT',
    reason: '45 seconds',
  });
  t.match(tokenizeLine('ok 1 - name with dash', 1), { kind: 'result', name: 'name with dash' });
  t.match(tokenizeLine('    # Subtest: damon', 1), { kind: 'subtest', col: 4, name: 'damon' });
  t.match(tokenizeLine('# selftests: damon: sysfs.sh', 1), { kind: 'diag', col: 0 });
  t.match(tokenizeLine('KTAP version 1', 1), { kind: 'version', col: 0 });
  t.match(tokenizeLine('[ 1.0] random: crng init done', 1), { kind: 'other' });
});

t.test('a crash in the middle of a suite: unreported cases MISS, the suite ERROR, never PASS', async (t) => {
  const tree = parseKtap(fixture('kunit-crash-midsuite.txt'));
  t.same(shape(tree), [
    '',
    'FAIL',
    [
      [
        'damon',
        'FAIL',
        [
          ['damon_test_target', 'PASS'],
          ['damon_test_regions', 'FAIL'],
          ['damon_test_aggregate', 'SKIP'],
        ],
      ],
      [
        'damon-sysfs',
        'ERROR',
        [
          ['damon_sysfs_test_add_targets', 'PASS'],
          ['#2', 'MISS'],
          ['#3', 'MISS'],
          ['#4', 'MISS'],
        ],
      ],
    ],
  ]);
  const failing = tree.children[0]!.children[1]!;
  t.match(failing.log.join('\n'), /EXPECTATION FAILED at mm\/damon\/tests\/core-kunit\.h:42/);
  t.equal(failing.durationMs, 100, 'duration from printk timestamps');
  t.equal(tree.children[0]!.children[2]!.reason, 'needs paddr');
  t.same(countLeaves(tree), { total: 7, PASS: 2, FAIL: 1, ERROR: 0, MISS: 3, SKIP: 1, DONE: 0 });
  t.match(tree.children[1]!.log.join('\n'), /BUG: kernel NULL pointer dereference/, 'the crash is in the suite log');
});

t.test('kselftest output nested behind "# "', async (t) => {
  const tree = parseKtap(fixture('kselftest-nested.txt'));
  t.same(shape(tree), [
    '',
    'FAIL',
    [
      [
        'selftests: damon: sysfs.sh',
        'FAIL',
        [
          ['kdamonds', 'PASS'],
          ['contexts', 'FAIL'],
        ],
      ],
      ['selftests: damon: debugfs_attrs.sh', 'SKIP'],
      ['selftests: damon: access_memory', 'ERROR'],
    ],
  ]);
  t.match(tree.children[1]!.log.join('\n'), /skip: DAMON debugfs is not supported/);
  t.match(tree.children[2]!.reason, /TIMEOUT: 45 seconds/);
  const recs = ktapRecords(tree, 'damon-selftests');
  t.same(
    recs.map((r) => [r.path, r.status]),
    [
      ['damon-selftests.sysfs_sh.kdamonds', 'PASS'],
      ['damon-selftests.sysfs_sh.contexts', 'FAIL'],
      ['damon-selftests.debugfs_attrs_sh', 'SKIP'],
      ['damon-selftests.access_memory', 'ERROR'],
    ],
  );
});

t.test('XFAIL and TODO are DONE, Bail out! closes everything as ERROR', async (t) => {
  const tree = parseKtap(
    'TAP version 14\n1..3\nnot ok 1 known # TODO not yet\nok 2 x # XFAIL flaky\n    KTAP version 1\n    1..2\n    ok 1 a\nBail out! kernel went away\n',
  );
  t.same(shape(tree), [
    '',
    'ERROR',
    [
      ['known', 'DONE'],
      ['x', 'DONE'],
      [
        '(unnamed)',
        'ERROR',
        [
          ['a', 'PASS'],
          ['#2', 'MISS'],
        ],
      ],
      ['Bail out!', 'ERROR'],
    ],
  ]);
});

t.test('a second KTAP run (a test module loaded later) restarts numbering', async (t) => {
  const tree = parseKtap(
    'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..1\n    ok 1 a1\nok 1 a\nnoise\nKTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: b\n    1..1\n    ok 1 b1\nok 1 b\n',
  );
  t.same(shape(tree), [
    '',
    'PASS',
    [
      ['a', 'PASS', [['a1', 'PASS']]],
      ['b', 'PASS', [['b1', 'PASS']]],
    ],
  ]);
});

t.test('JSON tree for lab parse --json', async (t) => {
  const j = ktapJson(parseKtap('TAP version 13\n1..1\nok 1 a # SKIP why\n')) as {
    status: string;
    tests: Array<{ name: string; directive: string; reason: string }>;
  };
  t.equal(j.status, 'SKIP');
  t.match(j.tests[0], { name: 'a', directive: 'SKIP', reason: 'why' });
});

t.test('compare: regressions, fixes, other changes', async (t) => {
  const rec = (path: string, status: 'PASS' | 'FAIL' | 'SKIP' | 'MISS') => ({
    path,
    name: path,
    status,
    durationMs: 0,
  });
  const c = compareRuns(
    [rec('a', 'PASS'), rec('b', 'FAIL'), rec('c', 'PASS'), rec('d', 'SKIP')],
    [rec('a', 'FAIL'), rec('b', 'PASS'), rec('c', 'SKIP'), rec('e', 'MISS')],
  );
  t.same(
    c.regressions.map((x) => x.path),
    ['a', 'e'],
  );
  t.same(
    c.fixes.map((x) => x.path),
    ['b'],
  );
  t.same(
    c.other.map((x) => `${x.path}:${x.before}->${x.after}`),
    ['c:PASS->SKIP', 'd:SKIP->absent'],
  );
});

// Recorded real output: a lab-built 6.12 kernel (lab-fixture series) booting with DAMON's KUnit suites
// built in, its debugfs results for a modular suite, and run_kselftest.sh's TAP for the DAMON kselftests
// in a TCG guest.
t.test('real: DAMON KUnit suites from a boot console', async (t) => {
  const tree = parseKtap(fixture('damon-kunit-console.log'));
  // The boot-time run, then a second KTAP run when the test module was loaded over SSH.
  t.same(
    tree.children.map((c) => [c.name, c.status]),
    [
      ['damon', 'PASS'],
      ['damon-operations', 'PASS'],
      ['damon-sysfs', 'PASS'],
      ['damon_lab_fixture', 'PASS'],
    ],
  );
  const c = countLeaves(tree);
  t.equal(c.total, 26, "DAMON's 23 KUnit cases and the fixture module's 3");
  t.equal(c.PASS, 26);
  t.ok(tree.children[0]!.log.includes('module: core'), 'suite header kept with the suite');
  const recs = ktapRecords(tree, 'damon-kunit');
  t.equal(recs.length, 26);
  t.ok(
    recs.every((r) => /^damon-kunit\.damon(-operations|-sysfs|_lab_fixture)?\.damo[ns]_/.test(r.path)),
    recs.map((r) => r.path).join(' '),
  );
  t.ok(
    recs.every((r) => r.durationMs >= 0 && r.durationMs < 5000),
    'durations from printk timestamps',
  );
});

t.test('real: a modular suite read from /sys/kernel/debug/kunit/<suite>/results', async (t) => {
  const tree = parseKtap(fixture('debugfs-damon_lab_fixture.ktap'));
  t.equal(countLeaves(tree).PASS, 3);
  t.equal(tree.status, 'PASS');
});

t.test('real: run_kselftest.sh TAP of the DAMON kselftests', async (t) => {
  const tree = parseKtap(fixture('damon-kselftest-guest.tap'));
  const c = countLeaves(tree);
  t.equal(c.total, 20);
  t.equal(c.SKIP, 9, 'debugfs, reclaim and lru_sort tests skip on a kernel without those interfaces');
  t.equal(c.FAIL, 1);
  const wss = tree.children.find((x) => x.name.includes('wss_estimation'))!;
  t.equal(wss.status, 'FAIL');
  t.match(wss.log.join('\n'), /the error rate is not acceptable/, "the failing test's own output is its log");
});

t.test('kunit scenario: one exec reads every suite of a module, split at the markers', async (t) => {
  const { splitMarked } = await import('../../suites/kunit.js');
  const out =
    '@@LAB-KUNIT@@a\nKTAP version 1\nok 1 x\n@@LAB-KUNIT@@b\ncat: /sys/kernel/debug/kunit/b/results: No such file\n@@LAB-KUNIT@@unreadable\n';
  const parts = splitMarked(out);
  t.same([...parts.keys()], ['a', 'b']);
  t.equal(parts.get('a'), 'KTAP version 1\nok 1 x');
  t.match(parts.get('b')!, /^@@LAB-KUNIT@@unreadable$/m, 'the failed read is marked in its part');
});
