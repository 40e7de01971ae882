import t from 'tap';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedFiles } from '../../harness/series/am-output.js';
import { isMboxrd, readMessage, splitMailbox, stripTransportCr } from '../../harness/series/mail-read.js';
import { base64Message, crlf, fixtureMbox, quotedPrintableMessage } from '../helpers/mail-encodings.js';
import { listPatches } from '../../harness/series/patch-list.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { InputFileError } from '../../harness/util/errors.js';

const repo = new URL('../..', import.meta.url).pathname;
const fixtureDir = join(repo, 'kernel/patches/lab-fixture');

t.test('series YAML: defaults and errors with lines', async (t) => {
  const s = parseYaml('name: x\npatches:\n  dir: p\n', 'kernel/series/x.yaml', SeriesSpecSchema);
  t.equal(s.base, 'debian');
  t.equal(s.base_config, 'lab');
  t.same(s.configs, ['damon']);
  t.same(s.artifacts.selftests, ['damon']);
  const e1 = t.throws(() =>
    parseYaml('name: x\npatches:\n  mbox: a\n  dir: b\n', 'k.yaml', SeriesSpecSchema),
  ) as InputFileError;
  t.match(e1.message, /^k\.yaml:2/);
  const e2 = t.throws(() =>
    parseYaml('name: x\nartifacts:\n  modules: [damon_ibs]\n', 'k.yaml', SeriesSpecSchema),
  ) as InputFileError;
  t.match(e2.message, /k\.yaml:3: 'artifacts\.modules\.0'/);
  const e3 = t.throws(() => parseYaml('name: x\nconfig:\n  DAMON: y\n', 'k.yaml', SeriesSpecSchema)) as InputFileError;
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

t.test('an mbox as b4 writes it: split by git mailsplit, cover letter found by having no diff', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mbox-'));
  const mbox = fixtureMbox(fixtureDir, 3);
  writeFileSync(join(dir, 'series.mbx'), mbox);
  const messages = await Promise.all((await splitMailbox(join(dir, 'series.mbx'))).map(readMessage));
  t.equal(messages.length, 4);
  t.equal(messages[0]!.hasDiff, false);
  t.equal(messages[0]!.baseCommit, '9349103037166355fc13460a0c66e2dc9d24f989');
  mkdirSync(join(dir, 'series'));
  const series = parseYaml('name: m\npatches:\n  mbox: ../series.mbx\n', 'x', SeriesSpecSchema);
  const r = await listPatches(series, join(dir, 'series', 'm.yaml'), undefined);
  t.same(
    r.patches.map((p) => p.origin.replace(/.*, /, '')),
    ['message 2', 'message 3', 'message 4'],
  );
  t.equal(r.baseCommit, '9349103037166355fc13460a0c66e2dc9d24f989');
});

t.test('folded and RFC 2047 encoded Subject headers are read as git mailinfo reads them', async (t) => {
  const m = await readMessage(
    Buffer.from(
      'From x Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH v2 3/7] mm/damon: a very long\n subject line =?UTF-8?q?caf=C3=A9?=\n\nbody\n',
    ),
  );
  t.equal(m.subject, '[PATCH v2 3/7] mm/damon: a very long subject line café');
  t.equal(m.hasDiff, false);
});

// Every encoding a mailer or an archive gives the same patches: the same diffs (patch-id), subjects and
// base-commit as the plain mbox. The applied trees are compared on the real seeds in test/e2e/seeds.test.ts.
t.test('base64, quoted-printable, CRLF and mboxrd mboxes read as the plain one does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mbox-enc-'));
  const plain = fixtureMbox(fixtureDir, 3);
  const read = async (name: string, text: string | Buffer) => {
    writeFileSync(join(dir, name), text);
    return Promise.all((await splitMailbox(join(dir, name))).map(readMessage));
  };
  const want = await read('plain.mbx', plain);
  const ids = (ms: Awaited<ReturnType<typeof read>>) =>
    ms.map((m) => [m.subject, m.hasDiff, m.patchId ?? null, m.baseCommit ?? null]);
  t.ok(want.filter((m) => m.patchId).length === 3, 'three diffs in the plain mbox');
  for (const [name, text] of [
    ['base64', base64Message(plain)],
    ['quoted-printable', quotedPrintableMessage(plain)],
    ['CRLF', crlf(plain)],
    ['CRLF base64', crlf(base64Message(plain))],
  ] as const) {
    t.same(ids(await read(`${name}.mbx`, text)), ids(want), name);
  }
  t.equal(stripTransportCr(Buffer.from('a\r\nb\r\n')).toString(), 'a\nb\n');
  t.equal(stripTransportCr(Buffer.from('a\r\nb\n')).toString(), 'a\r\nb\n', "CRs on some lines only are the content's");
});

t.test(
  '"From " inside a message body: not a new message (mboxo as format-patch writes it; mboxrd quoted and unquoted by git am)',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mbox-from-'));
    const plain = fixtureMbox(fixtureDir, 1);
    // A commit message line that starts with "From " (no date after it: git's From-line test leaves it be).
    const inBody = plain.replace(
      /\n\nA small module/,
      '\n\nFrom the start, this module was a fixture.\n\nA small module',
    );
    t.not(inBody, plain);
    writeFileSync(join(dir, 'o.mbx'), inBody);
    t.equal((await splitMailbox(join(dir, 'o.mbx'))).length, 2, 'cover letter and patch: the body line split nothing');
    const rd = plain.replace(
      /\n\nA small module/,
      '\n\n>From Mon Sep 17 00:00:00 2001, a quoted separator\n\nA small module',
    );
    t.ok(isMboxrd(rd));
    t.notOk(isMboxrd(plain));
    t.ok(isMboxrd('From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\n'), "public-inbox's separator says mboxrd");
    writeFileSync(join(dir, 'rd.mbx'), rd);
    const ms = await Promise.all((await splitMailbox(join(dir, 'rd.mbx'))).map(readMessage));
    t.equal(ms.length, 2);
    t.ok(ms[1]!.hasDiff);
  },
);

t.test('a cover letter alone, and the same patch twice: exit 2 naming what and where', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mbox-bad-'));
  mkdirSync(join(dir, 'series'));
  const cover = readFileSync(join(fixtureDir, '0000-cover-letter.patch'), 'utf8');
  writeFileSync(join(dir, 'cover.mbx'), cover);
  const s1 = parseYaml('name: m\npatches:\n  mbox: ../cover.mbx\n', 'x', SeriesSpecSchema);
  await t.rejects(
    listPatches(s1, join(dir, 'series', 'm.yaml'), undefined),
    /cover\.mbx holds no patch \(1 message\(s\), none with a diff: a cover letter alone\)/,
  );
  const twice = fixtureMbox(fixtureDir, 2) + '\n' + fixtureMbox(fixtureDir, 1).split(/(?=^From [0-9a-f]{40} )/m)[1]!;
  writeFileSync(join(dir, 'twice.mbx'), twice);
  const s2 = parseYaml('name: m\npatches:\n  mbox: ../twice.mbx\n', 'x', SeriesSpecSchema);
  const e = await listPatches(s2, join(dir, 'series', 'm.yaml'), undefined).then(
    () => undefined,
    (x: Error) => x,
  );
  t.type(e, InputFileError);
  t.equal((e as InputFileError).outcome, 'bad-input');
  t.match(
    e?.message,
    /the same patch twice: .*twice\.mbx, message 4 is .*twice\.mbx, message 2 again \(\[PATCH 1\/3\] mm\/damon: add damon_lab_fixture/,
  );
});

t.test('failed files from git am output', async (t) => {
  const out =
    'error: patch failed: mm/damon/Makefile:1\nerror: mm/damon/Makefile: patch does not apply\nerror: mm/damon/ibs.c: does not exist in index\nCONFLICT (content): Merge conflict in mm/damon/core.c\n';
  t.same(failedFiles(out).sort(), ['mm/damon/Makefile', 'mm/damon/core.c', 'mm/damon/ibs.c']);
});

t.test('a missing patch folder names the series file', async (t) => {
  const series = parseYaml('name: m\npatches:\n  dir: nowhere\n', 'x', SeriesSpecSchema);
  await t.rejects(listPatches(series, '/tmp/s.yaml', undefined), {
    name: 'InputFileError',
    message: /\/tmp\/s\.yaml: patches\.dir: \/tmp\/nowhere is not a folder/,
  });
});

t.test('a config: value with a line break is refused: it would add .config lines of its own', async (t) => {
  const { SeriesSpecSchema } = await import('../../harness/schema/series.js');
  t.throws(
    () => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-x\nCONFIG_KASAN=y' } }),
    /one line/,
  );
  t.throws(() => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-x\rCONFIG_KASAN=y' } }));
  t.doesNotThrow(() => SeriesSpecSchema.parse({ name: 'x', config: { CONFIG_LOCALVERSION: '-lab x' } }));
});
