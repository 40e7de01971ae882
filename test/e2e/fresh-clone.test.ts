// A newcomer's machine has none of our optional packages: the lab must install and compile without
// them. This copies what would be committed (tracked and new, unignored files) into a temp folder,
// installs with `npm ci --omit=optional` and runs the checkout's own bootstrap (`./lab --help`, which
// compiles with the project's compile step), then type-checks the tests the same way.
import t from 'tap';
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repo } from './lab-cli.js';

t.test("a clean copy installs with --omit=optional and compiles with the project's own step", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-fresh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = (
    await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo })
  ).stdout
    .split('\0')
    .filter((f) => f && existsSync(join(repo, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(repo, f), join(dir, f));
  }
  t.notOk(existsSync(join(dir, 'node_modules')), 'the copy starts without node_modules');

  const install = await execa('npm', ['ci', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    reject: false,
    all: true,
  });
  t.equal(install.exitCode, 0, `npm ci --omit=optional\n${install.all}`);
  t.notOk(
    existsSync(join(dir, 'node_modules/@unraid/libvirt')),
    'the optional binding is absent, as on a machine without libvirt-dev',
  );

  const help = await execa('./lab', ['--help'], { cwd: dir, reject: false, all: true });
  t.equal(help.exitCode, 0, `./lab --help in the copy\n${help.all}`);
  t.match(help.all, /lab: compiling/, 'the bootstrap compiled the copy itself');
  t.ok(existsSync(join(dir, 'dist/harness/cli/main.js')));

  const tests = await execa('npx', ['--no-install', 'tsc', '-p', 'tsconfig.test.json'], {
    cwd: dir,
    reject: false,
    all: true,
  });
  t.equal(tests.exitCode, 0, `the tests type-check without the optional package\n${tests.all}`);

  const host = await execa(
    'node',
    ['dist/harness/cli/main.js', 'run', 'damon-smoke', '--host', 'here', '--lab-config', join(dir, 'lab.example.yaml')],
    { cwd: dir, reject: false, all: true, env: { LAB_REPORTS: join(dir, 'reports') } },
  );
  t.equal(host.exitCode, 3, `--host without the binding is an infrastructure error\n${host.all}`);
  t.match(host.all, /lab setup --libvirt/, 'and says how to get it');
});
