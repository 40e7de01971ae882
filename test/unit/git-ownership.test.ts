// As root, a --tree another user owns is refused by git's ownership check ("not a git repository"),
// and HOME=/nonexistent leaves no way to configure safe.directory: the lab names the tree it was given.
import t from 'tap';
import { execa } from 'execa';
import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gitArgv } from '../../harness/source/git.js';

t.test("the lab's git names the repository as safe and runs none of its hooks", async (t) => {
  const argv = gitArgv('/some/tree', ['status']);
  t.same(argv.slice(0, 7), [
    'git',
    '-c',
    'safe.directory=/some/tree',
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'core.fsmonitor=false',
  ]);
});

t.test(
  'a tree owned by another user reads as root',
  { skip: process.getuid?.() === 0 ? false : 'needs root (chown)' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-owned-'));
    await execa('git', ['-C', dir, 'init', '-q']);
    writeFileSync(join(dir, 'f'), 'x\n');
    await execa('git', ['-C', dir, 'add', 'f']);
    await execa('git', ['-C', dir, '-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'one']);
    await execa('chown', ['-R', '1234:1234', dir]);
    const plain = await execa('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      reject: false,
      env: { HOME: '/nonexistent' },
    });
    t.not(plain.exitCode, 0, 'plain git refuses (dubious ownership)');
    t.match(await git(dir, ['rev-parse', 'HEAD']), /^[0-9a-f]{40}$/);
    chownSync(dir, 0, 0);
  },
);
