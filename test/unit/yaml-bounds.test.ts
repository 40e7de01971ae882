// Lab YAML files and the numbers in them are input: bounded in size, depth, expansion and range.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadYamlFile, parseYaml, yamlShapeProblem } from '../../harness/schema/load-yaml.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { SuiteSpecSchema } from '../../harness/schema/suite.js';
import { delay, MAX_TIMER_MS } from '../../harness/util/abort.js';
import { InputFileError } from '../../harness/util/errors.js';
import { thrown } from '../helpers/thrown.js';

const err = thrown;

t.test('YAML nested 100,000 levels deep: exit 2, not a stack trace', async (t) => {
  const e = err(() =>
    parseYaml('a: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n', 'deep.yaml', GuestSpecSchema),
  );
  t.type(e, InputFileError);
  t.match(e?.message, /^deep\.yaml: nested (too deeply|more than 64 levels)/);
  const e2 = err(() => parseYaml('a: ' + '['.repeat(200) + ']'.repeat(200) + '\n', 'deep.yaml', GuestSpecSchema));
  t.match(e2?.message, /nested more than 64 levels deep/);
});

t.test('aliases that expand a billion times are counted as the reader sees them and refused', async (t) => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(', ')}]`,
    );
  const e = err(() => parseYaml(lines.join('\n') + '\n', 'laughs.yaml', GuestSpecSchema));
  t.match(e?.message, /^laughs\.yaml: more than 100000 values \(aliases counted each time they are used\)/);
  t.equal(yamlShapeProblem({ a: [1, 2, { b: 3 }] }), undefined);
});

t.test('a YAML file that is a FIFO, a device or too large: exit 2 naming it, never a hang', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'yaml-'));
  await execa('mkfifo', [join(dir, 'fifo.yaml')]);
  t.match(err(() => loadYamlFile(join(dir, 'fifo.yaml'), GuestSpecSchema))?.message, /fifo\.yaml: not a regular file/);
  t.match(err(() => loadYamlFile('/dev/zero', GuestSpecSchema))?.message, /^\/dev\/zero: not a regular file/);
  writeFileSync(join(dir, 'big.yaml'), `name: x\ndescription: "${'a'.repeat(2 * 1024 * 1024)}"\n`);
  t.match(
    err(() => loadYamlFile(join(dir, 'big.yaml'), GuestSpecSchema))?.message,
    /more than the 1048576 a lab file may have/,
  );
});

t.test(
  'numbers out of range are refused with the key and line, not turned into a timer that fires at once',
  async (t) => {
    t.match(
      err(() => parseYaml('name: s\nscenario: damon-smoke\ntimeout: 1e12\n', 's.yaml', SuiteSpecSchema))?.message,
      /^s\.yaml:3: 'timeout'/,
    );
    t.match(
      err(() => parseYaml('name: g\nboot_timeout: 99999999\n', 'g.yaml', GuestSpecSchema))?.message,
      /^g\.yaml:2: 'boot_timeout'/,
    );
    t.match(
      err(() => parseYaml('name: g\nmemory: 99999999999T\n', 'g.yaml', GuestSpecSchema))?.message,
      /^g\.yaml:2: 'memory': not a size/,
    );
    await t.rejects(delay(MAX_TIMER_MS + 1), /more than a timer holds/);
    await t.rejects(delay(Number.NaN), /more than a timer holds/);
    await t.resolves(delay(1));
  },
);
