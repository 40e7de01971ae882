// The shapes Documentation/dev-tools/ktap.rst allows, each with the counts kunit.py gives for it
// (leaf tests; suites are not counted): nesting by any consistent indentation, and subtests with or
// without their "# Subtest:" header.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { countLeaves, parseKtap, type KtapTest } from '../../harness/results/ktap-parser.js';

const spec = (name: string) => readFileSync(new URL(`../fixtures/ktap/spec/${name}`, import.meta.url), 'utf8');
const shape = (x: KtapTest): unknown => ({
  name: x.name,
  status: x.status,
  ...(x.children.length ? { children: x.children.map(shape) } : {}),
});

const damonTree = [
  {
    name: 'damon',
    status: 'FAIL',
    children: [
      { name: 'damon_test_str', status: 'PASS' },
      { name: 'damon_test_regions', status: 'FAIL' },
      { name: 'damon_test_split', status: 'SKIP' },
    ],
  },
  { name: 'damon-sysfs', status: 'PASS', children: [{ name: 'damon_sysfs_test_add_targets', status: 'PASS' }] },
];

for (const file of ['indent-4.ktap', 'indent-2.ktap', 'indent-8.ktap', 'indent-tab.ktap']) {
  t.test(`nesting by indentation: ${file}`, async (t) => {
    const tree = parseKtap(spec(file));
    t.same(tree.children.map(shape), damonTree, 'two suites, their cases under them');
    t.match(countLeaves(tree), { total: 4, PASS: 2, FAIL: 1, SKIP: 1, ERROR: 0, MISS: 0 });
    t.equal(tree.status, 'FAIL');
  });
}

t.test('header-less subtests take their names from their result lines, cases nested under them', async (t) => {
  const tree = parseKtap(spec('headerless.ktap'));
  t.same(tree.children.map(shape), [
    {
      name: 'first_suite',
      status: 'PASS',
      children: [
        { name: 'case_a', status: 'PASS' },
        { name: 'case_b', status: 'PASS' },
      ],
    },
    { name: 'second_suite', status: 'FAIL', children: [{ name: 'case_c', status: 'FAIL' }] },
  ]);
  t.match(countLeaves(tree), { total: 3, PASS: 2, FAIL: 1 });
});

t.test('three levels with 2-space indentation (a parameterised case)', async (t) => {
  const tree = parseKtap(spec('three-levels.ktap'));
  t.same(tree.children.map(shape), [
    {
      name: 'example',
      status: 'FAIL',
      children: [
        {
          name: 'param_case',
          status: 'FAIL',
          children: [
            { name: 'param-0', status: 'PASS' },
            { name: 'param-1', status: 'PASS' },
            { name: 'param-2', status: 'FAIL' },
          ],
        },
        { name: 'plain_case', status: 'PASS' },
      ],
    },
  ]);
  t.match(countLeaves(tree), { total: 4, PASS: 3, FAIL: 1 });
});

t.test('the old KUnit TAP 14 form: tab-indented subtests without an inner version line', async (t) => {
  const tree = parseKtap(spec('old-tap14.ktap'));
  t.same(tree.children.map(shape), [
    {
      name: 'list-kunit-test',
      status: 'PASS',
      children: [
        { name: 'list_test_init', status: 'PASS' },
        { name: 'list_test_add', status: 'PASS' },
      ],
    },
  ]);
  t.match(countLeaves(tree), { total: 2, PASS: 2 });
});

t.test('a 2-space log cut short: the open suite is ERROR, its unreported cases MISS', async (t) => {
  const text = spec('indent-2.ktap').split('\n').slice(0, 7).join('\n');
  const tree = parseKtap(text);
  t.same(
    tree.children.map((c) => [c.name, c.status]),
    [
      ['damon', 'ERROR'],
      ['#2', 'MISS'],
    ],
    'the second planned suite never came',
  );
  t.match(countLeaves(tree), { PASS: 1, MISS: 3 });
});
