import t from 'tap';
import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSealed, discardSealed, sealFile } from '../../harness/util/sealed-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sealed-'));

t.test('a sealed file is ok until its bytes change; a change of the same size is seen too', async (t) => {
  const f = join(dir, 'initramfs.cpio');
  writeFileSync(f, 'the image as published');
  sealFile(f);
  t.equal(checkSealed(f), 'ok');
  writeFileSync(f, 'the image as PUBLISHED'); // same size, other bytes
  t.equal(checkSealed(f), 'damaged');
  writeFileSync(f, 'short');
  t.equal(checkSealed(f), 'damaged');
  discardSealed(f);
  t.notOk(existsSync(f));
  t.notOk(existsSync(`${f}.seal`));
  t.equal(checkSealed(f), 'missing');
});

t.test('touched but unchanged is ok; a file from before seals is sealed as it stands', async (t) => {
  const f = join(dir, 'vmlinuz-7.2.13-lab');
  writeFileSync(f, 'kernel');
  t.equal(checkSealed(f), 'unsealed');
  t.ok(existsSync(`${f}.seal`));
  utimesSync(f, new Date(2026, 0, 1), new Date(2026, 0, 1));
  t.equal(checkSealed(f), 'ok');
  t.equal(checkSealed(f), 'ok');
});

t.test('a damaged seal is set aside, not fatal: the file is sealed afresh', async (t) => {
  const f = join(dir, 'rootfs.ext4');
  writeFileSync(f, 'disk');
  writeFileSync(`${f}.seal`, '{not json');
  t.equal(checkSealed(f), 'unsealed');
  t.equal(checkSealed(f), 'ok');
});
