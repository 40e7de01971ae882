// lab run --watch, one cycle on a real kernel build and guest: the suite runs on a series (the fixture's first three
// patches), a patch is added to the series' folder (one that breaks a KUnit case), the kernel is rebuilt
// incrementally in the series' build directory, the suite runs again, and the rerun's difference is printed
// (the new failure). Then a Ctrl-C while it waits: it ends with the last run's code, no QEMU left.
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labBin, liveQemus, newQemusLeft, newReportsDir, repo } from './lab-cli.js';

const fixture = join(repo, 'kernel', 'patches', 'lab-fixture-regress');

t.test('one watch cycle: a patch added, the kernel rebuilt, the suite rerun, the new failure printed', async (t) => {
  const before = liveQemus();
  const dir = mkdtempSync(join(tmpdir(), 'lab-watch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'patches'));
  // The fixture's first three patches (the module and its KUnit suite), copied: the test edits this folder.
  for (const p of [
    '0001-mm-damon-add-damon_lab_fixture-a-loadable-module-wit.patch',
    '0002-mm-damon-lab_fixture-add-a-KUnit-suite.patch',
    '0003-mm-damon-lab_fixture-reject-knob-values-above-10000.patch',
  ])
    copyFileSync(join(fixture, p), join(dir, 'patches', p));
  const series = join(dir, 'watch-fixture.yaml');
  writeFileSync(
    series,
    readFileSync(join(repo, 'kernel', 'series', 'lab-fixture-regress.yaml'), 'utf8')
      .replace(/^name: .*$/m, 'name: watch-fixture')
      .replace(/^ {2}dir: .*$/m, '  dir: patches')
      // A version string of this test's own: the changed series is built by make, not found in a warm artifact cache.
      .replace(/^config:$/m, `config:\n  CONFIG_LOCALVERSION: "-watch${Date.now() % 100000}"`),
  );
  const child = execa('node', [labBin, 'run', 'damon-kunit', '--series', series, '--watch'], {
    reject: false,
    all: true,
    env: { LAB_REPORTS: newReportsDir() },
    cwd: repo,
  });
  let text = '';
  const waiters: Array<() => void> = [];
  child.all!.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const until = async (re: RegExp, what: string) => {
    while (!re.test(text)) {
      if (child.exitCode !== null) throw new Error(`lab ended before ${what}:\n${text.slice(-4000)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  };
  const count = (re: RegExp) => text.match(new RegExp(re.source, 'gm'))?.length ?? 0;

  await until(/^watching \d+ inputs/m, 'the first run ended');
  t.match(text, /damon-kunit: PASS/, 'the first run passes');
  t.match(text, /watching 6 inputs \(series file, patches, config fragments\)/);
  copyFileSync(
    join(fixture, '0005-mm-damon-lab_fixture-cap-shares-at-9999-basis-points.patch'),
    join(dir, 'patches', '0004-mm-damon-lab_fixture-cap-shares-at-9999-basis-points.patch'),
  );
  await until(/^changed: /m, 'the change was seen');
  t.match(text, new RegExp(`changed: ${join(dir, 'patches')} \\(patches\\)`));
  await until(/(?:^watching \d+ inputs[^]*){2}/m, 'the second run ended');
  const second = text.slice(text.indexOf('changed: '));
  t.match(second, /applying 4 patch\(es\)[^]*building in /, 'the kernel was built again, with the new patch');
  t.match(second, /damon-kunit: FAIL/);
  t.match(
    second,
    /new failures \(\d+\):\n(?: {2}.*\n)*? {2}damon-kunit\.damon_lab_fixture\.damon_lab_fixture_test_clamped: PASS → FAIL/,
    'the rerun’s new failure, as lab compare prints it',
  );
  t.equal(count(/^compare /), 1, 'one comparison: the second run against the first');
  child.kill('SIGINT');
  const end = await child;
  t.equal(end.exitCode, 1, `Ctrl-C while waiting: the last run’s code (a test failed)\n${text.slice(-2000)}`);
  t.match(end.all, /watch ended after 2 runs/);
  t.same(await newQemusLeft(before), [], 'no QEMU left');
});
