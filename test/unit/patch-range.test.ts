// patches: {range: A..B} gives the commits the folder `git format-patch A..B` would hold, each whole
// (the last patch used to lose its final newline, and git am called it corrupt), and a range is never
// taken for an option.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPatches } from '../../harness/series/patch-list.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';

async function repoWithCommits(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-range-repo-'));
  const g = (...a: string[]) => execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...a]);
  await g('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'a.c'), 'int a;\n');
  await g('add', '.');
  await g('commit', '-q', '-m', 'base');
  await g('tag', 'base');
  for (const n of [1, 2]) {
    writeFileSync(join(dir, 'a.c'), `int a;\nint b${n};\n`);
    await g('commit', '-q', '-am', `change ${n}`);
  }
  return dir;
}

t.test('a range gives whole patches that git am applies, the last one included', async (t) => {
  const dir = await repoWithCommits();
  const spec = SeriesSpecSchema.parse({ name: 'r', patches: { range: 'base..main' } });
  const { patches } = await listPatches(spec, join(dir, 'r.yaml'), dir);
  t.same(
    patches.map((p) => p.subject),
    ['[PATCH 1/2] change 1', '[PATCH 2/2] change 2'],
  );
  t.ok(
    patches.every((p) => p.data.toString().endsWith('\n')),
    'each patch ends with its newline',
  );
  // The same patches applied onto the base give the same tree.
  const g = (...a: string[]) =>
    execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { reject: false });
  await g('checkout', '-q', '--detach', 'base');
  for (const [i, p] of patches.entries()) {
    const f = join(dir, `${i}.patch`);
    writeFileSync(f, p.data);
    const r = await g('am', '-q', f);
    t.equal(r.exitCode, 0, `git am patch ${i + 1}: ${r.stderr}`);
  }
  t.equal(
    (await g('rev-parse', 'HEAD^{tree}')).stdout,
    (await g('rev-parse', 'main^{tree}')).stdout,
    "same tree as the range's end",
  );
});

t.test('a range that starts with "-" is refused by the schema, never handed to git', async (t) => {
  t.throws(
    () => SeriesSpecSchema.parse({ name: 'r', patches: { range: '--output=/etc/passwd..x' } }),
    /not starting with '-'/,
  );
  t.throws(() => SeriesSpecSchema.parse({ name: 'r', patches: { range: '-p..x' } }));
  t.doesNotThrow(() => SeriesSpecSchema.parse({ name: 'r', patches: { range: 'v6.12..my-branch' } }));
});

t.test('an empty range is a clear error naming it', async (t) => {
  const dir = await repoWithCommits();
  const spec = SeriesSpecSchema.parse({ name: 'r', patches: { range: 'main..main' } });
  await t.rejects(listPatches(spec, join(dir, 'r.yaml'), dir), /patches\.range 'main\.\.main' holds no commits/);
});
