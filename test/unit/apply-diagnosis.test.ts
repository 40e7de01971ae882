import t from 'tap';
import { contextIdentifiers, diagnosisLines, parseApplyCheck } from '../../harness/series/apply-diagnosis.js';

// What `git apply --check -v` printed for patch 1/7 of the IBS RFC on Debian's 7.2 source.
const OUTPUT = [
  'Checking patch include/linux/damon.h...',
  'Checking patch mm/damon/core.c...',
  'error: while searching for:',
  '\tstruct damon_sample_filter *f, *next_f;',
  '',
  '\tdamon_for_each_sample_filter_safe(f, next_f, &ctx->sample_control)',
  '\t\tdamon_destroy_sample_filter(f, &ctx->sample_control);',
  '',
  'error: patch failed: mm/damon/core.c:835',
  'error: mm/damon/core.c: patch does not apply',
].join('\n');

t.test('failed hunks from git apply --check -v', async (t) => {
  const hunks = parseApplyCheck(OUTPUT);
  t.equal(hunks.length, 1);
  t.same([hunks[0]!.file, hunks[0]!.line], ['mm/damon/core.c', 835]);
  t.equal(hunks[0]!.searched.length, 3, 'blank lines dropped');
});

t.test('identifiers worth looking up: fields, functions, macros; not locals, keywords or comments', async (t) => {
  const ids = contextIdentifiers(parseApplyCheck(OUTPUT)[0]!.searched);
  t.same(ids, ['damon_for_each_sample_filter_safe', 'sample_control', 'damon_destroy_sample_filter']);
  t.same(contextIdentifiers(['/* damon_gone() */ x = FOO_BAR + y->field_x; // z_call()', 'return "a_b(c)";']), [
    'FOO_BAR',
    'field_x',
  ]);
});

t.test(
  'the message: hunk, missing identifiers, base-commit, what to do; an applied patch is no conflict',
  async (t) => {
    const text = diagnosisLines(
      {
        alreadyApplied: false,
        hunks: parseApplyCheck(OUTPUT),
        missing: [{ identifier: 'sample_control', file: 'mm/damon/core.c', nowhere: true }],
      },
      '606bfbf72120',
    ).join('\n');
    t.match(text, /hunk at mm\/damon\/core\.c:835/);
    t.match(text, /\| \tdamon_for_each_sample_filter_safe/);
    t.match(text, /uses sample_control, which the tree has nowhere/);
    t.match(text, /base-commit: 606bfbf72120/);
    t.match(text, /--tree PATH with a checkout that has commit 606bfbf72120/);
    t.match(
      diagnosisLines({ alreadyApplied: true, hunks: [], missing: [] }).join('\n'),
      /already has this change: the patch applies in reverse/,
    );
  },
);
