import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReclaimed, currentUserBuilder, dropPrivilegesArgv } from '../../harness/kbuild/build-user.js';

t.test(
  'dropPrivilegesArgv: setpriv to the build user with no groups, capabilities or new privileges, then the argv untouched',
  async (t) => {
    t.same(dropPrivilegesArgv({ uid: 998, gid: 997 }, ['make', '-C', '/x y', 'O=z']), [
      'setpriv',
      '--reuid=998',
      '--regid=997',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      'make',
      '-C',
      '/x y',
      'O=z',
    ]);
  },
);

t.test(
  'the argv drops privileges for real: as root, the command runs as the given ids with no capabilities',
  { skip: process.getuid?.() !== 0 ? 'needs root (setpriv to another user)' : false },
  async (t) => {
    const [f, ...a] = dropPrivilegesArgv({ uid: 65534, gid: 65534 }, [
      'sh',
      '-c',
      'id -u; id -g; id -G; grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; grep NoNewPrivs /proc/self/status',
    ]);
    const out = (await execa(f!, a)).stdout;
    t.match(out, /^65534\n65534\n65534\n/);
    t.match(out, /CapPrm:\s+0+\n/);
    t.match(out, /CapEff:\s+0+\n/);
    t.match(out, /CapBnd:\s+0+\n/);
    t.match(out, /NoNewPrivs:\s+1/);
  },
);

t.test(
  'checkReclaimed: links are dropped and named, regular files and folders stay, a FIFO is a build error naming it',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-'));
    mkdirSync(join(dir, 'lib/modules/7.2.0-lab'), { recursive: true });
    writeFileSync(join(dir, 'lib/modules/7.2.0-lab/modules.dep'), '');
    symlinkSync('/root/.cache/damon-lab/worktrees/x/.lab-build', join(dir, 'lib/modules/7.2.0-lab/build'));
    symlinkSync('modules.dep', join(dir, 'lib/modules/7.2.0-lab/inside'));
    const said: string[] = [];
    checkReclaimed(dir, (l) => said.push(l));
    t.same(readdirSync(join(dir, 'lib/modules/7.2.0-lab')).sort(), ['modules.dep']);
    t.match(said.join('\n'), /dropped the link lib\/modules\/7\.2\.0-lab\/build \(to \/root\/\.cache/);
    t.match(said.join('\n'), /dropped the link lib\/modules\/7\.2\.0-lab\/inside/);
    await execa('mkfifo', [join(dir, 'lib/fifo')]);
    t.throws(
      () => checkReclaimed(dir, () => {}),
      /the build installed lib\/fifo, which is not a regular file, folder or link/,
    );
    t.ok(existsSync(join(dir, 'lib/modules/7.2.0-lab/modules.dep')));
  },
);

t.test('the current-user builder changes nothing: argv as given, reads with cat', async (t) => {
  const b = currentUserBuilder();
  t.same(b.argv(['make', 'x']), ['make', 'x']);
  const dir = mkdtempSync(join(tmpdir(), 'builder-'));
  writeFileSync(join(dir, 'f'), 'a\nb\n');
  t.equal(await b.read(join(dir, 'f')), 'a\nb\n', 'the text as it is, final newline kept');
});

t.test(
  'the cache: LAB_CACHE, else /var/cache/damon-lab for root (its build user must pass through; /root is 0700), else ~/.cache/damon-lab',
  async (t) => {
    const { cacheRoot } = await import('../../harness/util/paths.js');
    t.equal(cacheRoot({ LAB_CACHE: '/tmp/c' }, 0), '/tmp/c');
    t.equal(cacheRoot({}, 0), '/var/cache/damon-lab');
    t.equal(cacheRoot({ XDG_CACHE_HOME: '/home/u/.cache' }, 1000), '/home/u/.cache/damon-lab');
  },
);
