import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { ConsoleWatcher, scanConsole } from '../../harness/results/console-watcher.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/console/${name}`, import.meta.url), 'utf8');

t.test('a clean boot of the stock kernel running damon-smoke has no findings', async (t) => {
  t.same(scanConsole(fixture('clean-boot-damon-smoke.log')), []);
});

t.test('sysrq crash recorded from a lab guest is a panic with its stack', async (t) => {
  const f = scanConsole(fixture('sysrq-panic.log'));
  t.equal(f.length, 1);
  t.equal(f[0]!.kind, 'panic');
  t.match(f[0]!.title, /Kernel panic - not syncing: sysrq triggered crash/);
  t.match(f[0]!.excerpt, /panic\+0x/);
  t.ok(f[0]!.line > 300, 'line number points into the log');
});

t.test('chunking does not change the findings', async (t) => {
  const text = fixture('sysrq-panic.log');
  const w = new ConsoleWatcher();
  for (let i = 0; i < text.length; i += 7) w.push(text.slice(i, i + 7));
  w.end();
  t.same(
    w.findings.map((f) => [f.kind, f.line]),
    scanConsole(text).map((f) => [f.kind, f.line]),
  );
});

// Real reports collected from public kernel sources (see fixtures/console/SOURCES.md).
const kinds: Array<[string, string, RegExp]> = [
  ['kasan.log', 'kasan', /BUG: KASAN: /],
  ['warning.log', 'warning', /WARNING: /],
  ['hung-task.log', 'hung-task', /blocked for more than/],
  ['rcu-stall.log', 'rcu-stall', /detected stall/],
  ['oops-null-deref.log', 'bug', /BUG: kernel NULL pointer dereference/],
  ['soft-lockup.log', 'soft-lockup', /soft lockup/],
];
for (const [file, kind, title] of kinds) {
  const path = new URL(`../fixtures/console/${file}`, import.meta.url);
  // A missing recorded fixture is a failure of this test, not a reason to skip it.
  t.test(`${file} is found as ${kind}`, async (t) => {
    t.ok(existsSync(path), `the recorded fixture ${file} exists`);
    const f = scanConsole(readFileSync(path, 'utf8'));
    t.ok(f.length >= 1, 'at least one finding');
    t.equal(f[0]!.kind, kind);
    t.match(f[0]!.title, title);
    t.ok(f[0]!.excerpt.split('\n').length > 3, 'excerpt carries the report body');
  });
}

t.test('timestamps and log levels are stripped from titles', async (t) => {
  const f = scanConsole(
    '<4>[   12.345678] WARNING: CPU: 1 PID: 42 at mm/damon/core.c:100 kdamond_fn+0x10/0x20\n[   12.4] ---[ end trace 0000000000000000 ]---\n',
  );
  t.equal(f[0]!.title, 'WARNING: CPU: 1 PID: 42 at mm/damon/core.c:100 kdamond_fn+0x10/0x20');
  t.match(f[0]!.excerpt, /end trace/);
});

t.test('tail keeps the last lines for error messages', async (t) => {
  const w = new ConsoleWatcher();
  w.push('a\nb\nc\nd');
  t.equal(w.tail(2), 'b\nc\nd');
});

t.test('a KASAN excerpt runs to the closing rule line', async (t) => {
  const f = scanConsole(fixture('kasan.log'));
  t.match(f[0]!.excerpt.trimEnd().split('\n').pop(), /^=+$/);
});

t.test(
  'a flood keeps the watcher bounded: endless lines are cut, findings past 200 are counted, not kept',
  async (t) => {
    const w = new ConsoleWatcher();
    const megabyte = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 8; i++) w.push(megabyte); // 8 MiB with no newline
    // tail(1): the last whole line and the pending one, each at most 64 KiB.
    t.ok(w.tail(1).length <= 2 * 64 * 1024 + 1, `the pending line stays bounded (${w.tail(1).length} chars)`);
    w.push('\n');
    const warn =
      '[    1.000000] WARNING: CPU: 0 PID: 1 at mm/damon/core.c:1 f+0x1/0x2\n[    1.000001] ---[ end trace 0000000000000000 ]---\n';
    w.push(warn.repeat(500));
    t.equal(w.findings.length, 200);
    t.equal(w.droppedFindings, 300);
    t.ok(
      w.findings.every((f) => f.excerpt.length <= 200 * 2001),
      'excerpts bounded',
    );
    const flood = w.note('flood', 'console flood: more than 4 MiB of console output; the lab stopped the guest');
    t.equal(flood.kind, 'flood');
    t.equal(w.findings.at(-1), flood, "the lab's own finding is kept even past the cap");
  },
);

t.test('readBounded / copyBounded: whole when small, head + marker + tail when not', async (t) => {
  const { readBounded, copyBounded } = await import('../../harness/util/bounded-file.js');
  const { mkdtempSync, writeFileSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'bounded-'));
  const small = join(dir, 'small');
  writeFileSync(small, 'abc\n');
  t.same(readBounded(small, 8, 8), { text: 'abc\n', size: 4, cut: 0 });
  const big = join(dir, 'big');
  writeFileSync(big, `HEAD${'.'.repeat(1000)}TAIL`);
  const r = readBounded(big, 4, 4);
  t.equal(r.cut, 1000);
  t.equal(r.text, 'HEAD\n[… damon-lab: 1000 bytes of console output cut here …]\nTAIL');
  const c = copyBounded(big, join(dir, 'copy'), 4, 4);
  t.same(c, { size: 1008, cut: 1000 });
  t.ok(statSync(join(dir, 'copy')).size < 100);
});

// Lines built to make a backtracking pattern go quadratic: 64 KiB each (the watcher's line bound). Under
// the old patterns each took seconds; the child's CPU limit (prlimit, 20 s for all) is the bound.
t.test("hostile console lines cost time linear in their length: read within the child's CPU limit", async (t) => {
  const { execa } = await import('execa');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'watch-hostile-'));
  const k = 64 * 1024;
  const lines = [
    `WARNING: ${' at'.repeat(k / 3)}`,
    ' '.repeat(k - 1),
    `INFO: task ${'INFO: task '.repeat(k / 11 - 1)}`,
    `INFO: rcu_${'a'.repeat(k - 10)}`,
    `ok 1 a${' '.repeat(k - 10)}x`,
    `${'# '.repeat(k / 2 - 1)}`,
  ];
  const file = join(dir, 'hostile.log');
  writeFileSync(
    file,
    `TAP version 13\n1..1\n${Array.from({ length: 10 }, () => lines.join('\n')).join('\n')}\nok 1 a\n`,
  );
  const helper = new URL('../helpers/watch-file.ts', import.meta.url).pathname;
  const r = await execa('prlimit', ['--cpu=20', '--', process.execPath, ...process.execArgv, helper, file], {
    reject: false,
    all: true,
  });
  t.equal(r.signal, undefined, `not killed by its CPU limit (${r.signal})`);
  t.equal(r.exitCode, 0, String(r.all).slice(0, 500));
  // "ok 1 a…x" is a result line (name "a…x"): eleven passes of test 1, and nothing else to read.
  t.match(r.stdout, /^0 findings; ktap PASS/, 'nothing matched; the reader got through every line');
});
