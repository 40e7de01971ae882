// lab cp's pure parts: which side is the guest's, the guest's sha256sum output read back, and the first file
// that differs between the two sides' sums.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstDifference, hostSums, parseCopyEnd, parseSha256sum } from '../../harness/kept/guest-copy.js';

t.test('NAME:path and :path are the guest, anything else the host', async (t) => {
  t.same(parseCopyEnd('dev:/tmp/x'), { where: 'guest', guest: 'dev', path: '/tmp/x' });
  t.same(parseCopyEnd(':/tmp/x'), { where: 'guest', path: '/tmp/x' });
  t.same(parseCopyEnd('./a:b'), { where: 'host', path: './a:b' });
  t.same(parseCopyEnd('/abs/path'), { where: 'host', path: '/abs/path' });
  t.throws(() => parseCopyEnd('dev:'), /names no path/);
});

t.test('sums read back relative to the copy; a file alone is "."', async (t) => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  t.same(
    [...parseSha256sum(`${a}  ./x\n${b}  ./d/y z\nnoise\n`)],
    [
      ['x', a],
      ['d/y z', b],
    ],
  );
  t.same([...parseSha256sum(`${a}  .\n`)], [['.', a]]);
});

t.test('the first difference is named; the same sums give none', async (t) => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o));
  t.equal(firstDifference(m({ x: '1', y: '2' }), m({ y: '2', x: '1' })), undefined);
  t.match(firstDifference(m({ x: '1' }), m({ x: '2' }))!, /^x differs/);
  t.match(firstDifference(m({ x: '1' }), m({}))!, /^x is missing/);
  t.match(firstDifference(m({}), m({ y: '1' }))!, /^y is extra/);
});

t.test('host sums of a tree and of a single file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'a'), 'A');
  writeFileSync(join(dir, 'tree', 'sub', 'b'), 'B');
  const sums = hostSums(join(dir, 'tree'));
  t.same([...sums.keys()].sort(), ['a', 'sub/b']);
  t.equal(sums.get('a'), '559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd');
  t.same([...hostSums(join(dir, 'tree', 'a')).keys()], ['.']);
});
