// lab cache: the pure parts. What a worktree folder is by its name, which ones prune removes and why, a worktree's
// repository from its .git file, du's output, sizes for people.
import t from 'tap';
import { planPrune, repoOfGitFile, worktreeKind, type WorktreeEntry } from '../../harness/cache/worktree-prune.js';
import { humanBytes, parseDu } from '../../harness/cache/disk-usage.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 4);
const entry = (name: string, daysAgo: number): WorktreeEntry => ({
  path: `/c/worktrees/abc/${name}`,
  name,
  kind: worktreeKind(name),
  repo: '/c/sources/debian-linux-7.2',
  lastUsed: now - daysAgo * DAY,
});

t.test('worktreeKind: slots, the apply scratch, bisect state, and every other name an earlier lab’s', async (t) => {
  t.equal(worktreeKind('_lab-9bf2944f0f'), 'slot');
  t.equal(worktreeKind('_lab-console-054a7c54ee'), 'slot');
  t.equal(worktreeKind('.apply'), 'apply');
  t.equal(worktreeKind('bisect'), 'bisect');
  t.equal(worktreeKind('lab-fixture'), 'old');
});

t.test('planPrune: old worktrees always; the rest by last use, or all with --all', async (t) => {
  const entries = [
    entry('lab-fixture', 0),
    entry('_lab-1', 20),
    entry('_lab-2', 3),
    entry('.apply', 14),
    entry('bisect', 13.9),
  ];
  const plan = planPrune(entries, { now, olderThanDays: 14, all: false });
  t.same(
    plan.map((c) => c.entry.name),
    ['lab-fixture', '_lab-1', '.apply'],
  );
  t.match(plan[0]!.why, /earlier lab/);
  t.equal(plan[1]!.why, 'unused for 20 days');
  t.equal(plan[2]!.why, 'unused for 14 days', 'exactly the limit is old enough');
  t.same(
    planPrune(entries, { now, olderThanDays: 0, all: false }).map((c) => c.entry.name),
    entries.map((e) => e.name),
    '--older-than 0: everything',
  );
  const all = planPrune(entries, { now, olderThanDays: 14, all: true });
  t.equal(all.length, 5);
  t.equal(all[1]!.why, '--all');
  t.same(planPrune([entry('_lab-2', 1)], { now, olderThanDays: 14, all: false }), [], 'a slot in use stays');
});

t.test('repoOfGitFile: the repository of a worktree, a bare one too; anything else is unknown', async (t) => {
  t.equal(
    repoOfGitFile('gitdir: /c/sources/debian-linux-6.12/.git/worktrees/_lab-9bf2944f0f\n'),
    '/c/sources/debian-linux-6.12',
  );
  t.equal(repoOfGitFile('gitdir: /srv/linux.git/worktrees/x\n'), '/srv/linux.git');
  t.equal(repoOfGitFile('gitdir: /c/sources/r/.git\n'), undefined, 'not a linked worktree');
  t.equal(repoOfGitFile('not a git file'), undefined);
});

t.test('parseDu and humanBytes', async (t) => {
  const m = parseDu('1933312\t/c/worktrees/a/_lab-1\n8192\t/c/worktrees/a/bisect\ndu: cannot read x\n');
  t.equal(m.get('/c/worktrees/a/_lab-1'), 1933312);
  t.equal(m.get('/c/worktrees/a/bisect'), 8192);
  t.equal(m.size, 2);
  t.equal(humanBytes(0), '0 B');
  t.equal(humanBytes(8192), '8.0 KiB');
  t.equal(humanBytes(1.8 * 1024 ** 3), '1.8 GiB');
  t.equal(humanBytes(19 * 1024 ** 3), '19 GiB');
});
