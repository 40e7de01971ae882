// lab cache on a cache of its own (real git worktrees, no kernel): du names each folder and worktree with its size;
// prune --dry-run removes nothing; prune removes an earlier lab's per-series worktree and a slot unused for longer
// than asked (git forgets them too, the slot's config state goes, the series' build log stays), keeps a slot in
// use, and skips a repository whose build lock a running process holds, or a bisect worktree a bisect holds.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labBin, repo } from './lab-cli.js';
import { acquireLock } from '../../harness/util/lock.js';

const cache = mkdtempSync(join(tmpdir(), 'lab-cache-'));
t.teardown(() => rmSync(cache, { recursive: true, force: true }));
const src = join(cache, 'sources', 'r');
const trees = join(cache, 'worktrees', 'abcdef012345');
const labCache = (...args: string[]) =>
  execa('node', [labBin, 'cache', ...args], { reject: false, all: true, cwd: repo, env: { LAB_CACHE: cache } });
const git = (cwd: string, ...args: string[]) => execa('git', ['-C', cwd, ...args]);

t.before(async () => {
  mkdirSync(src, { recursive: true });
  await git(src, 'init', '-q');
  writeFileSync(join(src, 'Makefile'), 'all:\n');
  await git(src, 'add', '.');
  await git(src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'base');
  for (const name of ['_lab-old0000000', '_lab-new0000000', 'lab-fixture']) {
    await git(src, 'worktree', 'add', '-q', '--detach', join(trees, name));
    mkdirSync(join(trees, name, '.lab-build'));
    writeFileSync(join(trees, name, '.lab-build', 'vmlinux'), Buffer.alloc(256 * 1024, 1));
    mkdirSync(join(trees, '.lab', name), { recursive: true });
    writeFileSync(join(trees, '.lab', name, name.startsWith('_') ? 'config-state.json' : 'build.log'), 'x\n');
  }
  await git(src, 'worktree', 'add', '-q', '--no-checkout', '--detach', join(trees, 'bisect'));
  // The old slot and bisect's state: last used 30 days ago (bisect's in the repository's record of its worktree).
  const old = (Date.now() - 30 * 86_400_000) / 1000;
  for (const p of [
    join(trees, 'bisect'),
    join(src, '.git', 'worktrees', 'bisect', 'HEAD'),
    join(src, '.git', 'worktrees', 'bisect'),
    join(src, '.git', 'worktrees', '_lab-old0000000', 'HEAD'),
    join(src, '.git', 'worktrees', '_lab-old0000000'),
    join(trees, '_lab-old0000000', '.lab-build', 'vmlinux'),
    join(trees, '_lab-old0000000', '.lab-build'),
    join(trees, '_lab-old0000000'),
    join(trees, '.lab', '_lab-old0000000', 'config-state.json'),
    join(trees, '.lab', '_lab-old0000000'),
  ])
    utimesSync(p, old, old);
});

t.test('du: every folder of the cache and every worktree, with sizes and what they are', async (t) => {
  const r = await labCache();
  t.equal(r.exitCode, 0, r.all);
  t.match(r.stdout, new RegExp(`^${cache}: \\d`, 'm'));
  t.match(r.stdout, /^ {2}sources +[\d.]+ KiB {2}kernel git trees/m);
  t.match(r.stdout, /^ {2}worktrees +[\d.]+ KiB {2}checkouts and build directories/m);
  t.match(
    r.stdout,
    new RegExp(`KiB {2}used \\S+ \\S+ {2}worktrees/abcdef012345/_lab-old0000000: build slot of ${src}$`, 'm'),
  );
  t.match(r.stdout, /worktrees\/abcdef012345\/lab-fixture: an earlier lab's worktree of series lab-fixture/);
});

t.test('prune --dry-run says what would go and removes nothing', async (t) => {
  const r = await labCache('prune', '--dry-run');
  t.equal(r.exitCode, 0, r.all);
  t.match(r.stdout, /would remove \S+\/_lab-old0000000 \(\d+ KiB\): unused for 30 days/);
  t.match(r.stdout, /would remove \S+\/lab-fixture \(\d+ KiB\): a per-series worktree of an earlier lab/);
  t.match(r.stdout, /would remove \S+\/bisect \([\d.]+ KiB\): unused for 30 days/);
  t.notMatch(r.stdout, /_lab-new/);
  t.ok(existsSync(join(trees, '_lab-old0000000', '.lab-build', 'vmlinux')));
});

t.test('prune skips a repository whose build lock a running lab holds', async (t) => {
  const release = acquireLock(`${src}.lab-build.lock`, 'the test');
  try {
    const r = await labCache('prune');
    t.equal(r.exitCode, 0, r.all);
    t.match(r.stderr, /skipped \(3\): the source repository \S+ is in use by another lab process/);
    t.match(r.stdout, /freed about 0 B; 3 skipped \(in use\)/);
    t.ok(existsSync(join(trees, 'lab-fixture')));
  } finally {
    release();
  }
});

t.test('prune: the old worktree and the unused slot go, git forgets them; the slot in use stays', async (t) => {
  const release = acquireLock(`${join(trees, 'bisect')}.lock`, 'the test');
  let r;
  try {
    r = await labCache('prune');
  } finally {
    release();
  }
  t.equal(r.exitCode, 0, r.all);
  t.match(
    r.stderr,
    /skipped: the bisect worktree \S+ is in use by another lab process/,
    'a running bisect keeps its state',
  );
  t.ok(existsSync(join(trees, 'bisect')));
  t.match(r.stdout, /removed \S+\/_lab-old0000000/);
  t.match(r.stdout, /freed about \d+ KiB; 1 skipped \(in use\)$/m);
  t.notOk(existsSync(join(trees, '_lab-old0000000')));
  t.notOk(existsSync(join(trees, 'lab-fixture')));
  t.ok(existsSync(join(trees, '_lab-new0000000', '.lab-build', 'vmlinux')), 'the slot in use');
  t.notOk(existsSync(join(trees, '.lab', '_lab-old0000000')), "the removed slot's config state");
  t.ok(existsSync(join(trees, '.lab', 'lab-fixture', 'build.log')), "the series' build log stays");
  const list = (await git(src, 'worktree', 'list', '--porcelain')).stdout;
  t.notMatch(list, /_lab-old|lab-fixture/, 'git has no record of them');
  t.match(list, /_lab-new0000000/);
  const again = await labCache('prune');
  t.match(again.stdout, /removed \S+\/bisect \([\d.]+ KiB\): unused for 30 days/, 'the bisect done, its state goes');
  t.notMatch((await git(src, 'worktree', 'list')).stdout, /bisect/);
  t.match((await labCache('prune')).stdout, /nothing to prune/);
});

t.test('usage errors are exit 2', async (t) => {
  t.equal((await labCache('prune', '--older-than', 'soon')).exitCode, 2);
  t.equal((await labCache('frob')).exitCode, 2);
  t.equal((await labCache('du', '--all')).exitCode, 2);
});
