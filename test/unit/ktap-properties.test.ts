// Property-based: whatever a stream holds around them, a "not ok" (without a directive that excuses it)
// or a "Bail out!" is never read as a pass, and the reader always ends. fast-check generates the streams
// (indentation, "# " nesting, kernel prefixes, CR/LF, plans, noise) and shrinks any counterexample.
import t from 'tap';
import fc from 'fast-check';
import { parseKtap } from '../../harness/results/ktap-parser.js';

const name = fc.stringMatching(/^[a-z_]{0,8}$/);
const indent = fc.constantFrom('', '  ', '    ', '\t', '# ', '    # ', '# # ');
const prefix = fc.constantFrom('', '[    1.234567] ', '<6>[    2.000001] ', '[    3.5][    T1] ');
const eol = fc.constantFrom('\n', '\r\n', '\r');
const num = fc.integer({ min: 1, max: 12 });
const harmless = fc.oneof(
  fc.tuple(num, name).map(([n, s]) => `ok ${n} ${s}`),
  fc.tuple(num, name).map(([n, s]) => `ok ${n} - ${s} # SKIP why`),
  fc.tuple(num, name).map(([n, s]) => `not ok ${n} ${s} # SKIP why`),
  fc.integer({ min: 0, max: 12 }).map((n) => `1..${n}`),
  fc.constant('KTAP version 1'),
  fc.constant('TAP version 13'),
  name.map((s) => `# Subtest: ${s}`),
  name.map((s) => `# diag ${s}`),
  fc.constantFrom('random console noise', 'ok', 'okay then', '', '    ', 'Bailing out? no'),
);
const fatal = fc.oneof(
  fc.tuple(num, name).map(([n, s]) => `not ok ${n} ${s}`),
  fc.tuple(num, name).map(([n, s]) => `not ok ${n} - ${s} # some comment`),
  name.map((s) => `Bail out! ${s}`),
);
const line = (body: fc.Arbitrary<string>) =>
  fc.tuple(prefix, indent, body, eol).map(([p, i, b, e]) => `${p}${i}${b}${e}`);

t.test('no stream that holds a "not ok" or a "Bail out!" is ever a pass', async (t) => {
  fc.assert(
    fc.property(
      fc.array(line(harmless), { maxLength: 30 }),
      line(fatal),
      fc.array(line(harmless), { maxLength: 30 }),
      (before, bad, after) => {
        const text = `KTAP version 1\n${before.join('')}${bad}${after.join('')}`;
        const status = parseKtap(text).status;
        return status !== 'PASS';
      },
    ),
    { numRuns: 3000 },
  );
  t.pass('3000 generated streams');
});

t.test('streams of harmless lines only still end, with some verdict, and never crash the reader', async (t) => {
  fc.assert(
    fc.property(fc.array(line(harmless), { maxLength: 60 }), (lines) => {
      const tree = parseKtap(`KTAP version 1\n${lines.join('')}`);
      return ['PASS', 'FAIL', 'ERROR', 'MISS', 'SKIP', 'DONE'].includes(tree.status);
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 generated streams');
});
