import t from 'tap';
import { lab } from './lab-cli.js';
import { commands } from '../../harness/cli/commands.js';
import { asksForHelp, commandHelp } from '../../harness/cli/help.js';

t.test('asksForHelp: -h/--help before a "--" only', async (t) => {
  t.ok(asksForHelp(['--help']));
  t.ok(asksForHelp(['x', '-h']));
  t.notOk(asksForHelp(['x', '--', '-h']), "after -- the words are a guest command's");
  t.notOk(asksForHelp(['--helpful']));
  t.equal(commandHelp(commands, 'constructor'), undefined, 'names of Object.prototype are no commands');
});

// Every command, in the three spellings a user tries: each prints that command's usage on stdout, exit 0.
for (const name of Object.keys(commands)) {
  t.test(`help for '${name}'`, async (t) => {
    for (const argv of [
      ['help', name],
      [name, '--help'],
      [name, '-h'],
    ]) {
      const r = await lab(argv);
      t.equal(r.exitCode, 0, `lab ${argv.join(' ')} exits 0\n${r.all}`);
      t.match(r.stdout, new RegExp(`^usage: lab ${name}\\b`, 'm'), `lab ${argv.join(' ')} prints the usage of ${name}`);
      t.equal(r.stderr, '', `lab ${argv.join(' ')} prints nothing on stderr`);
    }
  });
}

t.test('lab --help and lab help print the overview, exit 0; help for an unknown command is exit 2', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const r = await lab(argv);
    t.equal(r.exitCode, 0);
    t.match(r.stdout, /^usage: lab COMMAND/);
  }
  const r = await lab(['help', 'frobnicate']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /unknown command 'frobnicate'/);
});

t.test('lab build takes the series by name or by --series, not both; usage errors are exit 2', async (t) => {
  const none = await lab(['build']);
  t.equal(none.exitCode, 2);
  t.match(none.all, /lab build needs a series: lab build NAME[\s\S]*known series: .*lab-fixture/);
  const both = await lab(['build', '--series', 'lab-fixture', 'damon-7.2']);
  t.equal(both.exitCode, 2);
  t.match(both.all, /by --series or by name, not both/);
  const unknown = await lab(['build', 'no-such-series']);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.all, /unknown series 'no-such-series'|no-such-series/);
});
