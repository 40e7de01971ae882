// A format-patch folder: every *.patch a regular file holding a patch (a cover letter excepted); an empty
// file, one with no diff, a folder, a FIFO, a device is exit 2 naming it, never skipped, never a hang.
import t from 'tap';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCoverLetter, listPatches } from '../../harness/series/patch-list.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';

const fixture = new URL('../../kernel/patches/lab-fixture/', import.meta.url).pathname;
const one = '0001-mm-damon-add-damon_lab_fixture-a-loadable-module-wit.patch';

async function folderWith(extra: (dir: string) => Promise<void> | void): Promise<{ dir: string; series: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-pf-'));
  mkdirSync(join(dir, 'p'));
  copyFileSync(join(fixture, '0000-cover-letter.patch'), join(dir, 'p', '0000-cover-letter.patch'));
  copyFileSync(join(fixture, one), join(dir, 'p', one));
  await extra(join(dir, 'p'));
  return { dir, series: join(dir, 's.yaml') };
}
const list = (series: string) =>
  listPatches(SeriesSpecSchema.parse({ name: 's', patches: { dir: 'p' } }), series, undefined);

t.test('a cover letter is skipped, a patch kept', async (t) => {
  const { series } = await folderWith(() => {});
  t.equal((await list(series)).patches.length, 1);
  t.ok(isCoverLetter('0000-cover-letter.patch', ''));
  t.ok(isCoverLetter('x.patch', '[RFC PATCH v2 00/12] mm/damon: things'));
  t.notOk(isCoverLetter('0002-x.patch', '[PATCH 2/7] mm/damon: a fix'));
});

for (const [what, make, message] of [
  [
    'an empty file',
    (d: string) => writeFileSync(join(d, '0002-empty.patch'), ''),
    /0002-empty\.patch holds no diff \(it is empty\)/,
  ],
  [
    'a file with no diff',
    (d: string) => writeFileSync(join(d, '0002-words.patch'), 'Subject: [PATCH 2/2] words only\n\nno diff here\n'),
    /0002-words\.patch holds no diff; only a cover letter/,
  ],
  ['a folder', (d: string) => mkdirSync(join(d, '0002-dir.patch')), /0002-dir\.patch is a folder, not a patch file/],
  [
    'a FIFO',
    async (d: string) => {
      await execa('mkfifo', [join(d, '0002-fifo.patch')]);
    },
    /0002-fifo\.patch is a FIFO, not a patch file/,
  ],
  [
    'a link to a device',
    (d: string) => symlinkSync('/dev/zero', join(d, '0002-zero.patch')),
    /0002-zero\.patch is a device, not a patch file/,
  ],
] as const) {
  t.test(`${what} among the patches: exit 2 naming it`, async (t) => {
    const { series } = await folderWith(make);
    const err = await list(series).then(
      () => undefined,
      (e: Error & { outcome?: string }) => e,
    );
    t.equal(err?.outcome, 'bad-input');
    t.match(err?.message, message);
  });
}
