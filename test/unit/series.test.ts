import t from 'tap';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePatch, failedFiles, splitMbox } from '../../harness/series/mbox.js';
import { listPatches } from '../../harness/series/patch-list.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { ConfigError } from '../../harness/util/errors.js';

const repo = new URL('../..', import.meta.url).pathname;
const fixtureDir = join(repo, 'kernel/patches/lab-fixture');

t.test('series YAML: defaults and errors with lines', async (t) => {
  const s = parseYaml('name: x\npatches:\n  dir: p\n', 'kernel/series/x.yaml', SeriesSpecSchema);
  t.equal(s.base, 'debian');
  t.equal(s.base_config, 'lab');
  t.same(s.configs, ['damon']);
  t.same(s.artifacts.selftests, ['damon']);
  const e1 = t.throws(() => parseYaml('name: x\npatches:\n  mbox: a\n  dir: b\n', 'k.yaml', SeriesSpecSchema)) as ConfigError;
  t.match(e1.message, /^k\.yaml:2/);
  const e2 = t.throws(() => parseYaml('name: x\nartifacts:\n  modules: [damon_ibs]\n', 'k.yaml', SeriesSpecSchema)) as ConfigError;
  t.match(e2.message, /k\.yaml:3: 'artifacts\.modules\.0'/);
  const e3 = t.throws(() => parseYaml('name: x\nconfig:\n  DAMON: y\n', 'k.yaml', SeriesSpecSchema)) as ConfigError;
  t.match(e3.message, /k\.yaml:3/);
});

t.test('format-patch folder: cover letter dropped, its base-commit kept, order by file name', async (t) => {
  const series = parseYaml('name: lab-fixture\npatches:\n  dir: ../patches/lab-fixture\n', 'x', SeriesSpecSchema);
  const r = await listPatches(series, join(repo, 'kernel/series/lab-fixture.yaml'), undefined);
  t.equal(r.patches.length, 6);
  t.match(r.patches[0]!.subject, /^\[PATCH 1\/3\] mm\/damon: add damon_lab_fixture/);
  t.match(r.patches[2]!.origin, /0003-.*\.patch$/);
  t.equal(r.baseCommit, '9349103037166355fc13460a0c66e2dc9d24f989');
});

t.test('an mbox as b4 writes it: split into patches, cover letter found by having no diff', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mbox-'));
  const files = ['0000-cover-letter.patch', '0001-mm-damon-add-damon_lab_fixture-a-loadable-module-wit.patch', '0002-mm-damon-lab_fixture-add-a-KUnit-suite.patch', '0003-mm-damon-lab_fixture-reject-knob-values-above-10000.patch'];
  const mbox = files.map((f) => readFileSync(join(fixtureDir, f), 'utf8')).join('\n');
  const messages = splitMbox(mbox);
  t.equal(messages.length, 4);
  t.equal(messages[0]!.hasDiff, false);
  t.equal(messages[0]!.baseCommit, '9349103037166355fc13460a0c66e2dc9d24f989');
  writeFileSync(join(dir, 'series.mbx'), mbox);
  mkdirSync(join(dir, 'series'));
  const series = parseYaml('name: m\npatches:\n  mbox: ../series.mbx\n', 'x', SeriesSpecSchema);
  const r = await listPatches(series, join(dir, 'series', 'm.yaml'), undefined);
  t.same(r.patches.map((p) => p.origin.replace(/.*, /, '')), ['message 2', 'message 3', 'message 4']);
  t.equal(r.baseCommit, '9349103037166355fc13460a0c66e2dc9d24f989');
});

t.test('folded Subject headers are joined', async (t) => {
  t.equal(describePatch('From x\nSubject: [PATCH v2 3/7] mm/damon: a very long\n subject line\nFrom: a\n\n').subject, '[PATCH v2 3/7] mm/damon: a very long subject line');
});

t.test('failed files from git am output', async (t) => {
  const out = 'error: patch failed: mm/damon/Makefile:1\nerror: mm/damon/Makefile: patch does not apply\nerror: mm/damon/ibs.c: does not exist in index\nCONFLICT (content): Merge conflict in mm/damon/core.c\n';
  t.same(failedFiles(out).sort(), ['mm/damon/Makefile', 'mm/damon/core.c', 'mm/damon/ibs.c']);
});

t.test('a missing patch folder names the series file', async (t) => {
  const series = parseYaml('name: m\npatches:\n  dir: nowhere\n', 'x', SeriesSpecSchema);
  await t.rejects(listPatches(series, '/tmp/s.yaml', undefined), { name: 'ConfigError', message: /\/tmp\/s\.yaml: patches\.dir: \/tmp\/nowhere is not a folder/ });
});

t.test('a config: value with a line break is refused: it would add .config lines of its own', async (t) => {
  const { SeriesSpecSchema } = await import('../../harness/schema/series.js');
  t.throws(() => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-x\nCONFIG_KASAN=y' } }), /one line/);
  t.throws(() => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-x\rCONFIG_KASAN=y' } }));
  t.doesNotThrow(() => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-lab x' } }));
});
