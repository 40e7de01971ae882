import t from 'tap';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { SuiteSpecSchema } from '../../harness/schema/suite.js';
import { InputFileError } from '../../harness/util/errors.js';
import { locateYamlPath } from '../../harness/schema/yaml-locator.js';

const parseGuest = (text: string) => parseYaml(text, 'guests/x.yaml', GuestSpecSchema);

t.test('defaults: 2 vCPUs, 1 GiB, accel auto, no PMU', async (t) => {
  const g = parseGuest('name: x\n');
  t.equal(g.cpus, 2);
  t.equal(g.memory, 1024);
  t.equal(g.accel, 'auto');
  t.equal(g.pmu, 'none');
});

t.test('sizes accept G, M, MiB', async (t) => {
  t.equal(parseGuest('name: x\nmemory: 2G\n').memory, 2048);
  t.equal(parseGuest('name: x\nmemory: 1536MiB\n').memory, 1536);
  t.equal(parseGuest('name: x\nmemory: 512\n').memory, 512);
});

t.test('an unknown key names file, line and key', async (t) => {
  const err = t.throws(() => parseGuest('name: x\ncpus: 2\nmemroy: 1G\n')) as InputFileError;
  t.type(err, InputFileError);
  t.equal(err.line, 3);
  t.match(err.message, /^guests\/x\.yaml:3: unknown key 'memroy'/);
  t.equal(err.outcome, 'bad-input');
});

t.test('a wrong type names file, line and key', async (t) => {
  const err = t.throws(() => parseGuest('name: x\n# comment\ncpus: two\n')) as InputFileError;
  t.equal(err.line, 3);
  t.match(err.message, /'cpus'/);
});

t.test('a bad enum value says which values are allowed', async (t) => {
  const err = t.throws(() => parseGuest('name: x\naccel: hvf\n')) as InputFileError;
  t.equal(err.line, 2);
  t.match(err.message, /accel.*auto.*kvm.*tcg/s);
});

t.test('nested errors point at the nested line', async (t) => {
  const text = 'name: x\ncpus: 2\nmemory: 1G\nnuma:\n  - cpus: 2\n    memory: 512M\n  - cpus: 0\n    memroy: 512M\n';
  const err = t.throws(() => parseGuest(text)) as InputFileError;
  t.equal(err.line, 8);
  t.match(err.message, /numa\.1\.memroy/);
});

t.test('NUMA layout must add up to cpus and memory', async (t) => {
  const err = t.throws(() =>
    parseGuest('name: x\ncpus: 2\nmemory: 1G\nnuma:\n  - {cpus: 2, memory: 512M}\n'),
  ) as InputFileError;
  t.match(err.message, /NUMA nodes hold 512 MiB but memory is 1024 MiB/);
  t.equal(err.line, 4);
  const ok = parseGuest(
    'name: x\ncpus: 2\nmemory: 1G\nnuma:\n  - {cpus: 2, memory: 512M}\n  - {cpus: 0, memory: 512M}\n',
  );
  t.equal(ok.numa?.[1]?.cpus, 0);
});

t.test('YAML syntax errors carry the line', async (t) => {
  const err = t.throws(() => parseGuest('name: x\ncpus: [2\nmemory: 1G\n')) as InputFileError;
  t.match(err.message, /YAML syntax error/);
  t.ok(err.line !== undefined && err.line >= 2);
});

t.test('suite schema: kernel_config keys must be CONFIG_ symbols', async (t) => {
  const err = t.throws(() =>
    parseYaml('name: s\nscenario: s\nkernel_config:\n  DAMON: y\n', 'suites/s.yaml', SuiteSpecSchema),
  ) as InputFileError;
  t.match(err.message, /suites\/s\.yaml:4/);
});

t.test('locator handles sequences at the parent indent and quoted keys', async (t) => {
  const text = 'a:\n- b: 1\n  c: 2\n- b: 3\n"d": 4\n';
  t.equal(locateYamlPath(text, ['a', 1, 'b']), 4);
  t.equal(locateYamlPath(text, ['a', 0, 'c']), 3);
  t.equal(locateYamlPath(text, ['d']), 5);
  t.equal(locateYamlPath(text, ['zzz']), undefined);
});
