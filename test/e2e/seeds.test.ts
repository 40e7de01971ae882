// The public RFC series this lab exists for, as real inputs (../shared/seeds, mboxes from the archive).
// They are based on the DAMON development tree, so on Debian's 7.2 source `lab build` must say exactly
// why they do not apply. Skipped, with the reason, where the seeds folder is absent.
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, repo } from './lab-cli.js';
import { fixtureHistory } from '../../harness/bench/fixture-history.js';
import { cacheRoot } from '../../harness/util/paths.js';

const seeds = join(repo, '..', 'shared', 'seeds');
const skip = existsSync(seeds)
  ? false
  : `no seeds folder at ${seeds} (the public RFC mboxes live in the project's shared/ folder)`;

t.test(
  'the IBS RFC as posted: the failing hunk, the identifiers only the development tree has, base-commit, what to do (exit 2)',
  { skip },
  async (t) => {
    const r = await lab(['build', '--series', 'ravi-ibs-rfc']);
    t.equal(r.exitCode, 2, r.all);
    t.match(r.stderr, /patch does not apply: .*ravi-ibs-rfc\.mbx, message 2/);
    t.match(r.stderr, /subject: \[RFC PATCH 1\/7\] mm\/damon\/core: refcount ops owner module to prevent rmmod UAF/);
    t.match(r.stderr, /hunk at mm\/damon\/core\.c:\d+/);
    t.match(r.stderr, /its context uses .*sample_control.*, which the tree has nowhere/);
    t.match(r.stderr, /base-commit: 606bfbf72120df4f406ef46971d48053706f6f75/);
    t.match(r.stderr, /--tree PATH with a checkout that has commit 606bfbf72120/);
  },
);

t.test('the node_sys_bp RFC as posted: the hunk and the context git looked for (exit 2)', { skip }, async (t) => {
  const r = await lab(['build', '--series', 'ravi-nodesys-rfc']);
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, /\[RFC PATCH 1\/5\] mm\/damon\/core: add DAMOS_QUOTA_NODE_SYS_BP metric/);
  t.match(
    r.stderr,
    /hunk at include\/linux\/damon\.h:\d+: its context is not in the tree; git searched for:\n\s+\| .*DAMOS_QUOTA_NODE_MEM_FREE_BP/,
  );
});

t.test('a patch already in the tree is reported as applied, not as a conflict (exit 2)', async (t) => {
  // The fixture history's good end already holds the lab-fixture patches: applying them again is the case.
  // fixture-good is the base plus the six lab-fixture patches: the last of them, applied again, is the case.
  const h = await fixtureHistory(cacheRoot());
  const dir = mkdtempSync(join(tmpdir(), 'lab-applied-'));
  const last = readdirSync(join(repo, 'kernel/patches/lab-fixture'))
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .at(-1)!;
  mkdirSync(join(dir, 'patches'));
  copyFileSync(join(repo, 'kernel/patches/lab-fixture', last), join(dir, 'patches', last));
  const series = join(dir, 'again.yaml');
  writeFileSync(series, 'name: again\nbase: fixture-good\npatches:\n  dir: patches\nconfigs: [damon]\n');
  const r = await lab(['build', '--series', series, '--tree', h.tree]);
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, new RegExp(`patch already applied: .*${last.slice(0, 20)}`));
  t.match(r.stderr, /the tree already has this change: the patch applies in reverse/);
  t.notMatch(r.stderr, /hunk at/);
});
