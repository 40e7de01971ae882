import t from 'tap';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonRecord, writeJsonAtomic } from '../../harness/util/state-file.js';

t.test('state records: written whole; a damaged one is set aside and reported, not fatal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-state-'));
  const file = join(dir, 'bisect.json');
  t.equal(readJsonRecord(file), undefined, 'none yet');
  writeJsonAtomic(file, { steps: [1, 2] });
  t.same(readJsonRecord(file), { steps: [1, 2] });
  t.same(readdirSync(dir), ['bisect.json'], 'no temp file left');
  writeFileSync(file, '{"steps": [1, 2'); // a crash mid-write of an older lab
  const said: string[] = [];
  t.equal(
    readJsonRecord(file, (m) => said.push(m)),
    undefined,
  );
  t.match(said[0], /bisect\.json was damaged .*set aside as .*bisect\.json\.damaged-\d+, starting afresh/);
  t.ok(
    readdirSync(dir).some((f) => f.startsWith('bisect.json.damaged-')),
    'kept for a look',
  );
});
