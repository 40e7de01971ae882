// The KTAP/TAP reader is fail-closed: nothing that gave up, was cut short, or cannot be read is a pass.
import t from 'tap';
import { countLeaves, parseKtap } from '../../harness/results/ktap-parser.js';
import { tokenizeLine } from '../../harness/results/ktap-lines.js';

const status = (text: string) => parseKtap(text).status;

t.test('Bail out! is never a pass, even after every planned test passed', async (t) => {
  t.equal(status('TAP version 13\n1..1\nok 1 a\nBail out! disk gone\n'), 'ERROR');
  const tree = parseKtap('KTAP version 1\n1..2\nok 1 a\nBail out!\n');
  t.same(
    tree.children.map((c) => [c.name, c.status]),
    [
      ['a', 'PASS'],
      ['Bail out!', 'ERROR'],
      ['#2', 'MISS'],
    ],
  );
});

t.test('a plan not met, a stream cut short: MISS and ERROR', async (t) => {
  t.equal(status('TAP version 13\n1..3\nok 1 a\nok 2 b\n'), 'MISS');
  t.equal(status('KTAP version 1\n1..1\n    KTAP version 1\n    1..2\n    ok 1 a\n'), 'ERROR');
});

t.test('CR-only and mixed line endings: every line read, a "not ok" never hides inside a name', async (t) => {
  t.equal(status('TAP version 13\r1..2\rok 1 a\rnot ok 2 b\r'), 'FAIL');
  t.equal(status('TAP version 13\r\n1..2\nok 1 a\rnot ok 2 b\r\n'), 'FAIL');
  t.same(countLeaves(parseKtap('KTAP version 1\r1..2\rok 1 a\rok 2 b\r')), {
    total: 2,
    PASS: 2,
    FAIL: 0,
    ERROR: 0,
    MISS: 0,
    SKIP: 0,
    DONE: 0,
  });
});

t.test('a line that starts like a result or a plan and does not parse is an ERROR where it stands', async (t) => {
  const tree = parseKtap(
    'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n    ok 1 a\n    ok two b\n    ok 2 c\nok 1 s\n',
  );
  t.equal(tree.status, 'ERROR');
  const s = tree.children[0]!;
  t.same(
    s.children.map((c) => [c.name, c.status]),
    [
      ['a', 'PASS'],
      ['line 7', 'ERROR'],
      ['c', 'PASS'],
    ],
  );
  t.match(s.children[1]!.reason, /a result or plan line that does not parse: ok two b/);
  t.equal(status('TAP version 13\n1..x\nok 1 a\n'), 'ERROR', 'a plan that is no number');
  t.equal(status('TAP version 13\n1..1\nok 99999999999999999999 a\n'), 'ERROR', 'a test number past 2^53');
  t.equal(status('TAP version 13\n1..1\nok 1 a\nok\n'), 'ERROR', 'a bare "ok"');
  // Prose that only starts with the letters is not a result line.
  t.equal(status('TAP version 13\n1..1\nokay, booting\nok 1 a\n'), 'PASS');
});

t.test("result lines: names, the format's dash, directives, as before", async (t) => {
  t.match(tokenizeLine('ok 1 - name # SKIP why', 1), {
    kind: 'result',
    ok: true,
    num: 1,
    name: 'name',
    directive: 'SKIP',
    reason: 'why',
  });
  t.match(tokenizeLine('not ok 12 -name', 1), { kind: 'result', ok: false, num: 12, name: '-name' });
  t.match(tokenizeLine('ok 3', 1), { kind: 'result', num: 3, name: '' });
  t.match(tokenizeLine('ok 4 -', 1), { kind: 'result', num: 4, name: '' });
  t.match(tokenizeLine('# # ok 5 deep', 1), { kind: 'result', num: 5, name: 'deep', col: 4 });
  t.match(tokenizeLine('# # just a comment', 1), { kind: 'diag' });
});

t.test('a plan of 2^53 tests: one MISS entry for the rest, not 2^53 of them', async (t) => {
  const tree = parseKtap('TAP version 13\n1..9007199254740991\nok 1 a\n');
  t.equal(tree.status, 'MISS');
  t.ok(tree.children.length <= 1002, `${tree.children.length} entries`);
  t.match(tree.children.at(-1)!.reason, /9007199254739990 more tests planned \(of 9007199254740991\), never reported/);
});

t.test(
  'a suite reported "# SKIP" whose case failed is a FAIL (found by the property test); a skipped suite of passes stays SKIP',
  async (t) => {
    t.equal(status('KTAP version 1\n    not ok 1 -  # some comment\nok 1 -  # SKIP why\nok 1\n'), 'FAIL');
    t.equal(status('KTAP version 1\n1..1\n    ok 1 a\nok 1 s # SKIP not here\n'), 'SKIP');
  },
);
