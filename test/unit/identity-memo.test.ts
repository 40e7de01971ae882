// Answers kept under files' identities: asked once per identity, asked again when a file is replaced or the
// memo is damaged, never kept when a file is missing.
import t from 'tap';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoBytes, memoJson, onPath } from '../../harness/util/identity-memo.js';

function setup(t: { teardown: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'memo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'cache');
  const file = join(dir, 'busybox');
  writeFileSync(file, 'v1');
  let asked = 0;
  const ask = (answer: string) => async () => {
    asked++;
    return answer;
  };
  return { dir, cache, file, ask, asked: () => asked };
}

t.test('asked once while the file stays the same', async (t) => {
  const s = setup(t);
  t.equal(await memoJson(s.cache, 'busybox --list', [s.file], s.ask('sh\nls')), 'sh\nls');
  t.equal(await memoJson(s.cache, 'busybox --list', [s.file], s.ask('other')), 'sh\nls');
  t.equal(s.asked(), 1);
  t.equal(await memoJson(s.cache, 'busybox --help', [s.file], s.ask('help')), 'help', 'another question');
  t.equal(s.asked(), 2);
});

t.test('a replaced file is asked again', async (t) => {
  const s = setup(t);
  await memoJson(s.cache, 'q', [s.file], s.ask('old'));
  // What apt does: a new file renamed over the old one (a new inode), even with the same size.
  writeFileSync(`${s.file}.new`, 'v2');
  renameSync(`${s.file}.new`, s.file);
  t.equal(await memoJson(s.cache, 'q', [s.file], s.ask('new')), 'new');
  t.equal(s.asked(), 2);
});

t.test('a missing file is never memoised; a damaged memo is asked again', async (t) => {
  const s = setup(t);
  t.equal(await memoJson(s.cache, 'q', [join(s.dir, 'absent')], s.ask('a')), 'a');
  t.equal(await memoJson(s.cache, 'q', [join(s.dir, 'absent')], s.ask('b')), 'b');
  await memoJson(s.cache, 'q', [s.file], s.ask('c'));
  const [memo] = readdirSync(join(s.cache, 'memo'));
  writeFileSync(join(s.cache, 'memo', memo!), '{"value": "c', 'utf8');
  t.equal(await memoJson(s.cache, 'q', [s.file], s.ask('d')), 'd');
  t.equal(await memoJson(s.cache, 'q', [s.file], s.ask('e')), 'd', 'rewritten whole');
});

t.test('bytes are kept as they are', async (t) => {
  const s = setup(t);
  const data = Buffer.from([0, 1, 2, 255]);
  t.same(await memoBytes(s.cache, 'xz -dc m.ko.xz', [s.file], async () => data), data);
  t.same(await memoBytes(s.cache, 'xz -dc m.ko.xz', [s.file], async () => Buffer.from('x')), data);
});

t.test('a command is found on PATH as a spawn finds it', async (t) => {
  const s = setup(t);
  t.equal(onPath('busybox', `/nonexistent:${s.dir}`), s.file);
  t.equal(onPath('/bin/anything'), '/bin/anything');
  t.equal(onPath('no-such-command', s.dir), undefined);
});
