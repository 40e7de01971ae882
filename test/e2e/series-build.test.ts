import t from 'tap';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';
import { cacheRoot } from '../../harness/util/paths.js';

// Builds Debian 6.12 with the project's fixture series on the small lab config (cold: several minutes;
// warm: the artifact cache answers), boots it and loads the fixture module.
t.test('lab build --series lab-fixture: apply, build, artifact cache', async (t) => {
  const first = await lab(['build', '--series', 'lab-fixture']);
  t.equal(first.exitCode, 0, first.all);
  const artifact = /artifact: (\S+)/.exec(first.stdout)?.[1];
  t.ok(artifact && existsSync(join(artifact, 'meta.json')), 'artifact recorded');
  const meta = JSON.parse(readFileSync(join(artifact!, 'meta.json'), 'utf8')) as {
    release: string;
    patches: unknown[];
  };
  t.match(meta.release, /^6\.12\.\d+-lab$/, 'no + suffix: LOCALVERSION is set');
  t.equal(meta.patches.length, 6);
  t.ok(
    existsSync(join(artifact!, 'lib/modules', meta.release, 'kernel/mm/damon/damon_lab_fixture.ko')),
    'fixture module installed',
  );
  t.ok(existsSync(join(artifact!, 'lib/modules', meta.release, 'modules.dep')), 'depmod ran');
  t.ok(existsSync(join(artifact!, 'kselftest')), 'damon selftests installed');
  t.ok(existsSync(join(artifact!, 'boot', `vmlinux-pvh-${meta.release}`)), 'PVH vmlinux kept');
  if (process.getuid?.() === 0) {
    // As root, the tree's Makefiles ran as the unprivileged build user; what was published is root's.
    t.match(
      readFileSync(join(artifact!, 'build.log'), 'utf8'),
      /^# damon-lab build of lab-fixture at \S+, make run by damon-lab-build \(uid \d+\)$/m,
    );
    const uid = Number((await execa('id', ['-u', 'damon-lab-build'])).stdout);
    // Where make built it, as the build log says (the series' build slot, shared with series of its configuration).
    const buildDir = /O=(\S+)/.exec(readFileSync(join(artifact!, 'build.log'), 'utf8'))![1]!;
    t.equal(statSync(join(buildDir, 'vmlinux')).uid, uid, 'vmlinux was written by the build user');
    const files = (
      await execa('find', [artifact!, '(', '!', '-user', '0', '-o', '-type', 'l', ')', '-print'])
    ).stdout.trim();
    t.equal(files, '', "every published file is root's, and none is a link");
  }

  // Same inputs again: the artifact cache answers and no make runs.
  const again = await lab(['build', '--series', 'lab-fixture']);
  t.equal(again.exitCode, 0);
  t.match(again.stdout, /\(artifact cache, no make\)/);
  t.notMatch(again.stderr, /building in/);
});

t.test('lab run lab-fixture-module --series lab-fixture: boots the built kernel, modprobe works', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'lab-fixture-module', '--series', 'lab-fixture'], { reports });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  t.match(summary.kernel?.release, /-lab$/);
  t.match(summary.kernel?.source, /^series:lab-fixture /);
  t.same(
    summary.tests.filter((x) => x.status !== 'PASS').map((x) => [x.name, x.reason]),
    [],
  );
  t.ok(summary.tests.some((x) => x.name === 'kunit_suite_passes'));
});

t.test('a patch that does not apply: exit 2, names patch, subject and file, leaves nothing applied', async (t) => {
  const r = await lab(['build', '--series', 'lab-fixture-broken']);
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, /patch does not apply: .*lab-fixture-broken\/0001-mm-damon-build-lab-elsewhere\.o\.patch/);
  t.match(r.stderr, /subject: \[PATCH\] mm\/damon: build lab-elsewhere\.o/);
  t.match(r.stderr, /failed: mm\/damon\/Makefile/);
  // The scratch worktree is back on the base, clean, with no am in progress.
  const src = join(cacheRoot(), 'sources', 'debian-linux-6.12');
  const wts = (await execa('git', ['-C', src, 'worktree', 'list', '--porcelain'])).stdout
    .split('\n')
    .filter((l) => l.startsWith('worktree ') && l.endsWith('/.apply'))
    .map((l) => l.slice(9));
  t.equal(wts.length, 1);
  const status = await execa('git', ['-C', wts[0]!, 'status', '--porcelain']);
  t.equal(status.stdout.trim(), '', 'no half-applied changes');
  t.notOk(
    existsSync(join((await execa('git', ['-C', wts[0]!, 'rev-parse', '--git-dir'])).stdout.trim(), 'rebase-apply')),
    'no git am in progress',
  );
});

t.test('a dropped config symbol is an error naming it and its dependency', async (t) => {
  const r = await lab([
    'build',
    '--series',
    join(new URL('../fixtures/series', import.meta.url).pathname, 'dropped-symbol.yaml'),
  ]);
  t.equal(r.exitCode, 2, r.all);
  t.match(
    r.stderr,
    /CONFIG_DAMON_SYSFS_KUNIT_TEST=y \(from series\.config\) is not set; depends on DAMON_SYSFS && KUNIT=y/,
  );
});

t.test(
  'a patch that adds .lab-build as a link out of the tree: exit 2 naming it, nothing written where it points',
  async (t) => {
    const target = '/tmp/lab-build-symlink-target';
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
    const r = await lab([
      'build',
      '--series',
      join(new URL('../fixtures/series', import.meta.url).pathname, 'lab-build-symlink.yaml'),
    ]);
    t.equal(r.exitCode, 2, r.all);
    t.match(
      r.stderr,
      /the tree to build has its own \S+\/\.lab-build \(a symbolic link\): that name is the lab's build directory/,
    );
    t.same(readdirSync(target), [], 'nothing was written through the link');
    t.ok(lstatSync(target).isDirectory());
    rmSync(target, { recursive: true, force: true });
  },
);

t.test('a patch that adds a .lab-build folder of its own: exit 2 naming it, nothing built there', async (t) => {
  const r = await lab([
    'build',
    '--series',
    join(new URL('../fixtures/series', import.meta.url).pathname, 'lab-build-folder.yaml'),
  ]);
  t.equal(r.exitCode, 2, r.all);
  t.match(
    r.stderr,
    /the tree to build has its own \S+\/\.lab-build \(a folder git tracks\): that name is the lab's build directory/,
  );
  t.notMatch(r.all, /building in/);
});
