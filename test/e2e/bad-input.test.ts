import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, newReportsDir, onlyReport, repo } from './lab-cli.js';

t.test('an unknown suite exits 2 and lists the known ones', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smok'], { reports });
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /unknown suite 'damon-smok'/);
  t.match(r.stderr, /known suites: .*damon-smoke/);
  t.same(readdirSync(reports), [], 'no report for a run that never started');
});

t.test('a guest YAML with an unknown key exits 2 naming file, line and key', async (t) => {
  const file = join(repo, 'test/fixtures/guests/typo.yaml');
  const r = await lab(['run', 'damon-smoke', '--guest', file]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, `${file}:3: unknown key 'memroy'`);
});

t.test(
  '--result-file: an error before any report is handed back; a folder that does not exist is exit 2 at once',
  async (t) => {
    const reports = newReportsDir();
    const file = join(reports, 'result.json');
    const r = await lab(['run', 'damon-smok', '--result-file', file], { reports });
    t.equal(r.exitCode, 2);
    const result = JSON.parse(readFileSync(file, 'utf8')) as { outcome: string; error: string };
    t.equal(result.outcome, 'usage');
    t.match(result.error, /unknown suite 'damon-smok'/);
    const nowhere = await lab(['run', 'damon-smoke', '--result-file', '/nonexistent/dir/r.json'], { reports });
    t.equal(nowhere.exitCode, 2);
    t.match(nowhere.stderr, /--result-file \/nonexistent\/dir\/r\.json: its folder \/nonexistent\/dir does not exist/);
  },
);

t.test('an unknown command and a bad flag are usage errors', async (t) => {
  t.equal((await lab(['frobnicate'])).exitCode, 2);
  const r = await lab(['run', 'damon-smoke', '--bogus']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /bogus/);
});

t.test('a guest that never boots: exit 3, console tail with the panic, report kept', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke', '--guest', join(repo, 'test/fixtures/guests/no-init.yaml')], { reports });
  t.equal(r.exitCode, 3, r.all);
  t.match(r.stderr, /kernel panic during boot|QEMU ended during boot/);
  t.match(r.stderr, /Kernel panic - not syncing/, 'console tail shown');
  const { summary } = onlyReport(reports);
  t.equal(summary.outcome, 'boot-failed');
  t.ok(
    summary.tests.length > 0 &&
      summary.tests.filter((x) => x.name !== 'console_clean').every((x) => x.status === 'ERROR'),
    'planned checks are ERROR, never PASS',
  );
  t.ok(summary.console.findings.some((f) => f.kind === 'panic'));
  t.ok(summary.stages.some((s) => s.stage === 'boot' && /failed/.test(s.note ?? '')));
});

t.test('a boot timeout: exit 3 with the console tail', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke', '--guest', join(repo, 'test/fixtures/guests/too-slow.yaml')], { reports });
  t.equal(r.exitCode, 3, r.all);
  t.match(r.stderr, /did not come up within 0\.5 s \(boot_timeout\)/);
  t.match(r.stderr, /console tail/);
  // No SSH yet, so the stop escalates past poweroff straight to QMP quit (or a kill).
  t.match(onlyReport(reports).summary.guest?.shutdown, /^(qmp-quit|killed)$/);
});

t.test(
  'libvirt hosts: an unknown host is exit 2 before anything runs; an unreachable one makes its cells ERROR, not SKIP',
  async (t) => {
    const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lab-hosts-'));
    const config = join(dir, 'lab.yaml');
    // A host whose libvirt socket does not exist: unreachable, whatever runs on this machine.
    writeFileSync(
      config,
      `hosts:\n  - name: gone\n    uri: "qemu+ssh://root@127.0.0.1:1/system?keyfile=${join(dir, 'nokey')}"\n`,
    );
    const unknown = join(dir, 'unknown.yaml');
    writeFileSync(
      unknown,
      'name: unknown-host\nkernels: [debian]\nguests: [default]\nsuites: [damon-smoke]\nhosts: [nosuch]\n',
    );
    const reports = newReportsDir();
    const r = await lab(['matrix', 'run', unknown, '--lab-config', config], { reports });
    t.equal(r.exitCode, 2, r.all);
    t.match(r.stderr, /lab\.yaml: no host 'nosuch' in the hosts inventory \(known: gone\)/);
    t.same(readdirSync(reports), [], 'no report for a matrix that never started');

    const run = await lab(['run', 'damon-smoke', '--host', 'gone', '--lab-config', config], {
      reports: newReportsDir(),
    });
    t.equal(run.exitCode, 3, run.all);
    t.match(run.all, /host gone: .*(cannot connect to libvirt|@unraid\/libvirt)/);

    const unreachable = join(dir, 'unreachable.yaml');
    writeFileSync(
      unreachable,
      'name: unreachable-host\nkernels: [debian]\nguests: [default]\nsuites: [damon-smoke]\nhosts: [gone]\n',
    );
    const mreports = newReportsDir();
    const m = await lab(['matrix', 'run', unreachable, '--lab-config', config], { reports: mreports });
    t.equal(m.exitCode, 1, m.all);
    const s = JSON.parse(readFileSync(join(mreports, readdirSync(mreports)[0]!, 'summary.json'), 'utf8')) as {
      cells: Array<{ status: string; reason?: string }>;
    };
    t.equal(s.cells[0]!.status, 'ERROR');
    t.match(s.cells[0]!.reason, /no host reachable \(gone: /);
  },
);

t.test(
  'every wrong --tree is exit 2 with a sentence: missing, a file, no commits, bare without the base, shallow without it',
  async (t) => {
    const { execa } = await import('execa');
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'lab-badtree-'));
    const series = join(dir, 's.yaml');
    writeFileSync(series, 'name: badtree\nbase: HEAD~1\nconfigs: [damon]\nartifacts:\n  selftests: []\n');
    const build = (tree: string) => lab(['build', '--series', series, '--tree', tree]);
    const g = (cwd: string, ...args: string[]) =>
      execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-C', cwd, ...args]);
    const cases: Array<[string, string, RegExp]> = [];
    cases.push(['missing', join(dir, 'nowhere'), /--tree .*nowhere: no such folder/]);
    writeFileSync(join(dir, 'file'), 'x');
    cases.push(['a file', join(dir, 'file'), /--tree .*file: a file, not a git tree/]);
    mkdirSync(join(dir, 'plain'));
    cases.push(['not git', join(dir, 'plain'), /--tree .*plain: not a git repository/]);
    await execa('git', ['init', '-q', join(dir, 'empty')]);
    cases.push(['no commits', join(dir, 'empty'), /--tree .*empty: has no commits/]);
    await execa('git', ['init', '-q', join(dir, 'work')]);
    for (const n of ['1', '2']) {
      writeFileSync(join(dir, 'work', 'f'), n);
      await g(join(dir, 'work'), 'add', 'f');
      await g(join(dir, 'work'), 'commit', '-q', '-m', n);
    }
    await execa('git', ['clone', '-q', '--bare', join(dir, 'work'), join(dir, 'bare.git')]);
    // A bare repository is a tree the lab takes: its error is about the series' base, not the tree.
    writeFileSync(series, 'name: badtree\nbase: v0-none\nconfigs: [damon]\nartifacts:\n  selftests: []\n');
    cases.push(['bare, base missing', join(dir, 'bare.git'), /base 'v0-none' is not a commit in/]);
    await execa('git', ['clone', '-q', '--depth', '1', `file://${join(dir, 'bare.git')}`, join(dir, 'shallow')]);
    for (const [what, tree, re] of cases) {
      const r = await build(tree);
      t.equal(r.exitCode, 2, `${what}: ${r.all}`);
      t.match(r.stderr, re, what);
      t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    }
    writeFileSync(series, 'name: badtree\nbase: HEAD~1\nconfigs: [damon]\nartifacts:\n  selftests: []\n');
    const shallow = await build(join(dir, 'shallow'));
    t.equal(shallow.exitCode, 2, shallow.all);
    t.match(
      shallow.stderr,
      /base 'HEAD~1' is not a commit in .*shallow \(a shallow clone: its history stops before it; `git -C .* fetch --unshallow`/,
    );
  },
);
