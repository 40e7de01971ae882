// Two `lab build` of one series at once share its source repository's apply worktree and build
// directory: they take turns (the second says it waits), and both end with the same, complete artifact.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, repo } from './lab-cli.js';

t.test('two builds of one series at once take turns and agree', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-twobuilds-'));
  const series = join(dir, 'twice.yaml');
  // The fixture series with a version string of its own: a build the cache cannot answer without make.
  const text = readFileSync(join(repo, 'kernel/series/lab-fixture.yaml'), 'utf8')
    .replace(/^name: lab-fixture$/m, 'name: lab-fixture-twice')
    .replace('dir: ../patches/lab-fixture', `dir: ${join(repo, 'kernel/patches/lab-fixture')}`)
    .replace(/^config:$/m, `config:\n  CONFIG_LOCALVERSION: "-twice${Date.now() % 100000}"`);
  writeFileSync(series, text);
  const [a, b] = await Promise.all([
    lab(['build', '--series', series]),
    new Promise((r) => setTimeout(r, 1500)).then(() => lab(['build', '--series', series])),
  ]);
  t.equal(a.exitCode, 0, String(a.all));
  t.equal(b.exitCode, 0, String(b.all));
  t.match(
    `${a.all}\n${b.all}`,
    /waiting: the source repository .* is in use by another lab process/,
    'one waited for the other',
  );
  const dirOf = (out: unknown) => /^artifact: (\S+)$/m.exec(String(out))?.[1];
  const [da, db] = [dirOf(a.all), dirOf(b.all)];
  t.ok(da && db && existsSync(join(da, 'meta.json')), `artifact ${da}`);
  t.equal(da, db, 'the same artifact');
});
