import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from './lab-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-parse-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

t.test('lab parse exits by its verdict', async (t) => {
  const pass = await lab(['parse', file('pass.ktap', 'KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: s\n  1..1\n  ok 1 c\nok 1 s\n')]);
  t.equal(pass.exitCode, 0, pass.all);
  // Every case passed but the suite never reported: the summary says ERROR, and so does the exit code.
  const cut = await lab(['parse', file('cut.ktap', 'KTAP version 1\n    KTAP version 1\n    # Subtest: s\n    ok 1 c\n')]);
  t.equal(cut.exitCode, 1, cut.all);
  t.match(cut.stdout, /ERROR/);
  const fail = await lab(['parse', '--json', file('fail.ktap', 'KTAP version 1\n1..1\nnot ok 1 x\n')]);
  t.equal(fail.exitCode, 1);
  t.equal(JSON.parse(fail.stdout).status, 'FAIL');
});

t.test('a log with no results at all is an ERROR verdict (exit 1), not a usage error', async (t) => {
  const r = await lab(['parse', file('none.log', '[    0.000000] Linux version 7.2.0\n[    1.0] Kernel panic - not syncing: VFS\n')]);
  t.equal(r.exitCode, 1, r.all);
  t.match(r.stdout, /ERROR .*no KTAP or TAP results: the kernel crashed or never ran tests\?/);
  const j = await lab(['parse', '--json', join(dir, 'none.log')]);
  t.equal(j.exitCode, 1);
  t.equal(JSON.parse(j.stdout).status, 'ERROR');
  const missing = await lab(['parse', join(dir, 'absent.log')]);
  t.equal(missing.exitCode, 2, 'an unreadable file stays a usage error');
});
