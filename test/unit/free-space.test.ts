import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFreeSpace } from '../../harness/util/free-space.js';

t.test('a folder that does not exist yet (a fresh cache) is measured on its nearest existing parent', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'space-')), 'not', 'yet', 'there');
  t.doesNotThrow(() => requireFreeSpace(dir, 1, 'a test'));
  t.throws(
    () => requireFreeSpace(dir, Number.MAX_SAFE_INTEGER, 'unpacking linux-source-7.2'),
    new RegExp(
      `not enough space for unpacking linux-source-7\\.2: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has \\d+ MiB free, and it needs about \\d+ MiB`,
    ),
  );
});
