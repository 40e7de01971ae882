// Patch sources read as git am reads them, on real inputs: the seeds' port of the IBS RFC joined into one
// mbox and re-encoded as a mailer or an archive would (base64, quoted-printable, CRLF) applies to the
// same tree as its folder; the RFC as posted, re-encoded, gets the same diagnosis; the fixture series as
// a `range:` of a real history gives the same tree as its folder.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, repo } from './lab-cli.js';
import { cacheRoot } from '../../harness/util/paths.js';
import { debianSourceRepo } from '../../harness/source/debian-source.js';
import { listPatches } from '../../harness/series/patch-list.js';
import { applySeries } from '../../harness/series/apply-series.js';
import { git, gitProbe } from '../../harness/source/git.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { fixtureHistory } from '../../harness/bench/fixture-history.js';
import { base64Message, crlf, quotedPrintableMessage } from '../helpers/mail-encodings.js';

const seeds = join(repo, '..', 'shared', 'seeds');
const skip = existsSync(seeds)
  ? false
  : `no seeds folder at ${seeds} (the public RFC mboxes live in the project's shared/ folder)`;

/** A worktree of our own per repository (one checkout, reused: applySeries resets it to the base each time). */
const worktrees = new Map<string, string>();
t.teardown(async () => {
  for (const [repoDir, wt] of worktrees) {
    await gitProbe(repoDir, ['worktree', 'remove', '--force', wt]);
    rmSync(wt, { recursive: true, force: true });
  }
});

/** The tree (not commit: messages differ in quoting) that a series' patches give on `base`. */
async function appliedTree(
  repoDir: string,
  base: string,
  spec: string,
  seriesFile: string,
  tree?: string,
): Promise<string> {
  const { patches } = await listPatches(parseYaml(spec, seriesFile, SeriesSpecSchema), seriesFile, tree);
  let wt = worktrees.get(repoDir);
  if (!wt) {
    wt = mkdtempSync(join(tmpdir(), 'lab-mail-wt-'));
    rmSync(wt, { recursive: true, force: true });
    worktrees.set(repoDir, wt);
  }
  await applySeries(repoDir, wt, base, patches);
  return (await git(wt, ['rev-parse', 'HEAD^{tree}'])).trim();
}

t.test(
  'the IBS RFC port as one mbox, plain, base64, quoted-printable and CRLF: the same applied tree as its folder (7.2)',
  { skip },
  async (t) => {
    const { repo: src, base } = await debianSourceRepo(cacheRoot(), 'debian-7.2');
    const folder = join(seeds, 'ravi-ibs-rfc-on-7.2');
    const dir = mkdtempSync(join(tmpdir(), 'lab-mail-'));
    const want = await appliedTree(src, base, `name: port\npatches:\n  dir: ${folder}\n`, join(dir, 'port.yaml'));
    const mbox = readdirSync(folder)
      .filter((f) => f.endsWith('.patch'))
      .sort()
      .map((f) => readFileSync(join(folder, f), 'utf8'))
      .join('');
    for (const [name, text] of [
      ['plain', mbox],
      ['base64', base64Message(mbox)],
      ['quoted-printable', quotedPrintableMessage(mbox)],
      ['CRLF', crlf(mbox)],
    ] as const) {
      writeFileSync(join(dir, `${name}.mbx`), text);
      t.equal(
        await appliedTree(src, base, `name: port\npatches:\n  mbox: ${name}.mbx\n`, join(dir, 'port.yaml')),
        want,
        `${name}: the same tree`,
      );
    }
  },
);

t.test(
  'the IBS RFC as posted, re-encoded: the same diagnosis as the original (exit 2, the same patch, hunk and base-commit)',
  { skip },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-mail-posted-'));
    const mbox = readFileSync(join(seeds, 'ravi-ibs-rfc.mbx'), 'utf8');
    const said = async (name: string, text: string) => {
      writeFileSync(join(dir, `${name}.mbx`), text);
      writeFileSync(
        join(dir, `${name}.yaml`),
        `name: posted-${name}\nbase: debian-7.2\npatches:\n  mbox: ${name}.mbx\nconfigs: [damon]\n`,
      );
      const r = await lab(['build', '--series', join(dir, `${name}.yaml`)]);
      t.equal(r.exitCode, 2, `${name}: ${r.all}`);
      // The diagnosis without the file name (it names the re-encoded mbox).
      return r.stderr
        .split('\n')
        .filter((l) => /subject:|hunk at|which the tree has nowhere|base-commit:/.test(l))
        .map((l) => l.trim());
    };
    const original = await said('original', mbox);
    t.ok(
      original.some((l) => /subject: \[RFC PATCH 1\/7\]/.test(l)),
      original.join('\n'),
    );
    t.same(await said('base64', base64Message(mbox)), original, 'base64');
    t.same(await said('crlf', crlf(mbox)), original, 'CRLF');
  },
);

t.test(
  'the fixture series as a range of a real history gives the same tree as its folder, and the commit the history has (6.12)',
  async (t) => {
    const h = await fixtureHistory(cacheRoot());
    const dir = mkdtempSync(join(tmpdir(), 'lab-range-'));
    const base = (await git(h.tree, ['rev-parse', 'fixture-good~6'])).trim();
    const asRange = await appliedTree(
      h.tree,
      base,
      `name: r\npatches:\n  range: ${base}..fixture-good\n`,
      join(dir, 'r.yaml'),
      h.tree,
    );
    const asFolder = await appliedTree(
      h.tree,
      base,
      `name: f\npatches:\n  dir: ${join(repo, 'kernel/patches/lab-fixture')}\n`,
      join(dir, 'f.yaml'),
    );
    t.equal(asRange, asFolder, 'range and folder: one tree');
    t.equal(asRange, (await git(h.tree, ['rev-parse', 'fixture-good^{tree}'])).trim(), 'the tree the history has');
  },
);
