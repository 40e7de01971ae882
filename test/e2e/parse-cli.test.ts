import t from 'tap';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from './lab-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-parse-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

t.test('lab parse exits by its verdict', async (t) => {
  const pass = await lab([
    'parse',
    file('pass.ktap', 'KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: s\n  1..1\n  ok 1 c\nok 1 s\n'),
  ]);
  t.equal(pass.exitCode, 0, pass.all);
  // Every case passed but the suite never reported: the summary says ERROR, and so does the exit code.
  const cut = await lab([
    'parse',
    file('cut.ktap', 'KTAP version 1\n    KTAP version 1\n    # Subtest: s\n    ok 1 c\n'),
  ]);
  t.equal(cut.exitCode, 1, cut.all);
  t.match(cut.stdout, /ERROR/);
  const fail = await lab(['parse', '--json', file('fail.ktap', 'KTAP version 1\n1..1\nnot ok 1 x\n')]);
  t.equal(fail.exitCode, 1);
  t.equal(JSON.parse(fail.stdout).status, 'FAIL');
});

t.test('a log with no results at all is an ERROR verdict (exit 1), not a usage error', async (t) => {
  const r = await lab([
    'parse',
    file('none.log', '[    0.000000] Linux version 7.2.0\n[    1.0] Kernel panic - not syncing: VFS\n'),
  ]);
  t.equal(r.exitCode, 1, r.all);
  t.match(r.stdout, /ERROR .*no KTAP or TAP results: the kernel crashed or never ran tests\?/);
  const j = await lab(['parse', '--json', join(dir, 'none.log')]);
  t.equal(j.exitCode, 1);
  t.equal(JSON.parse(j.stdout).status, 'ERROR');
  const missing = await lab(['parse', join(dir, 'absent.log')]);
  t.equal(missing.exitCode, 2, 'an unreadable file stays a usage error');
});

// Time and memory linear in the input whatever it holds: each hostile file is parsed by the CLI under
// limits of the child process itself (CPU seconds by prlimit, heap by V8), never by a timing assertion.
// Past a limit the child is killed or aborts, and the exit code says so.
t.test("hostile logs are parsed within the child's CPU and heap limits, with a verdict", async (t) => {
  const limited = (path: string, heapMiB: number) =>
    execa(
      'prlimit',
      [
        '--cpu=60',
        '--',
        'node',
        `--max-old-space-size=${heapMiB}`,
        join(new URL('../..', import.meta.url).pathname, 'dist/harness/cli/main.js'),
        'parse',
        path,
      ],
      { reject: false, all: true },
    );
  const cases: Array<[string, string, number, number]> = [
    // name, text, heap MiB, expected exit code
    [
      'spaces',
      `TAP version 13\n1..1\nok 1 a${' '.repeat(100_000)}x\n${' '.repeat(100_000)}\nok${' '.repeat(100_000)}\n`,
      128,
      1,
    ],
    // Each level needs a wider column, so nesting costs the square of its depth in bytes: 6,000 levels
    // (18 MB) is as deep as a file of sane size goes; the reader stops reading levels past 64.
    [
      'nesting',
      `KTAP version 1\n1..1\n${Array.from({ length: 6_000 }, (_, i) => `${' '.repeat(i + 1)}KTAP version 1\n${' '.repeat(i + 1)}1..1\n`).join('')}ok 1 x\n`,
      512,
      1,
    ],
    ['plan', 'TAP version 13\n1..9223372036854775807\nok 1 a\n', 128, 1],
    // 30,000 "# " prefixes read in one pass: a result nested in a suite that never reports (ERROR, exit 1).
    ['hashes', `TAP version 13\n1..1\n${'# '.repeat(30_000)}ok 1 deep\n`, 128, 1],
  ];
  for (const [name, text, heap, exit] of cases) {
    const r = await limited(file(`${name}.log`, text), heap);
    t.equal(r.signal, undefined, `${name}: not killed (${r.signal})`);
    t.equal(r.exitCode, exit, `${name}: the verdict's exit code ${String(r.all).slice(0, 300)}`);
  }
  // 100 MB of results: a suite of 2.5 million cases, read with a heap of 12 times the input at most.
  const big = join(dir, 'big.ktap');
  const out = createWriteStream(big);
  out.write('KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: big\n');
  let bytes = 0;
  for (let i = 1; bytes < 100 * 1024 * 1024; i++) {
    const line = `    ok ${i} case_number_${i}\n`;
    bytes += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end('ok 1 big\n');
  await once(out, 'finish');
  const r = await limited(big, 1200);
  t.equal(r.signal, undefined, `100 MB: not killed (${r.signal})`);
  t.equal(r.exitCode, 0, `100 MB: PASS ${String(r.all).slice(-300)}`);
});

t.test('lab parse refuses a device and a folder (exit 2), reads a pipe', async (t) => {
  const zero = await lab(['parse', '/dev/zero']);
  t.equal(zero.exitCode, 2, zero.all);
  t.match(zero.stderr, /cannot read \/dev\/zero: a device, not a file/);
  const folder = await lab(['parse', dir]);
  t.equal(folder.exitCode, 2);
  t.match(folder.stderr, /a folder/);
  const piped = await execa(
    'node',
    [join(new URL('../..', import.meta.url).pathname, 'dist/harness/cli/main.js'), 'parse', '-'],
    { input: 'TAP version 13\n1..1\nnot ok 1 a\n', reject: false },
  );
  t.equal(piped.exitCode, 1);
});

t.test('lab compare: two runs (status changes, metric moves); several a side (the A/B test on metrics)', async (t) => {
  const summary = (id: string, status: string, cpu: number) => {
    const d = join(dir, id);
    mkdirSync(d);
    writeFileSync(
      join(d, 'summary.json'),
      JSON.stringify({
        runId: id,
        suite: 's',
        status,
        outcome: status === 'PASS' ? 'ok' : 'test-failed',
        stages: [],
        tests: [
          { path: 's.a', name: 'a', status, durationMs: 1, metrics: [{ name: 'kdamond_cpu', value: cpu, unit: '%' }] },
        ],
        counts: { PASS: 1, FAIL: 0, ERROR: 0, MISS: 0, DONE: 0, SKIP: 0 },
        console: { findings: [], log: 'console.log' },
      }),
    );
    return d;
  };
  const as = [2.0, 2.1, 1.9, 2.05].map((c, i) => summary(`a${i}`, 'PASS', c));
  const bs = [4.0, 4.2, 3.9, 4.1].map((c, i) => summary(`b${i}`, 'PASS', c));
  const two = await lab(['compare', as[0]!, bs[0]!]);
  t.equal(two.exitCode, 0, 'no new failure: exit 0');
  t.match(two.stdout, /s\.a kdamond_cpu: 2 → 4 % \(×2\)/, 'one run each: the move, as an observation');
  const several = await lab(['compare', ...as.flatMap((x) => ['--a', x]), ...bs.flatMap((x) => ['--b', x])]);
  t.equal(several.exitCode, 1, `kdamond's CPU doubled over 4 runs a side: a regression\n${several.all}`);
  t.match(several.stdout, /compare 4 runs → 4 runs/);
  t.match(several.stdout, /s\.a kdamond_cpu: A 2\.025 B 4\.05 %, B\/A 2\.000 \[[\d.]+, [\d.]+\], p=0\.029: slower/);
  const failing = await lab(['compare', '--a', as[0]!, '--b', summary('f', 'FAIL', 2)]);
  t.equal(failing.exitCode, 1, 'a new failure');
  t.match(failing.stdout, /s\.a: PASS → FAIL/);
  t.equal((await lab(['compare', '--a', as[0]!])).exitCode, 2, 'one side only: a usage error');
});

t.test('lab matrix run: --runs and --threshold out of range are usage errors before anything runs', async (t) => {
  for (const args of [
    ['--runs', '0'],
    ['--runs', '2.5'],
    ['--threshold', '0'],
    ['--threshold', '150'],
  ]) {
    const r = await lab(['matrix', 'run', 'test/fixtures/matrices/two-by-two.yaml', ...args]);
    t.equal(r.exitCode, 2, `${args.join(' ')}: ${r.all}`);
    t.match(r.all, new RegExp(`--${args[0]!.slice(2)} ${args[1]!.replace('.', '\\.')}: `));
  }
  const bad = file('runs.yaml', 'name: m\nkernels: [debian]\nguests: [default]\nsuites: [damon-smoke]\nruns: 0\n');
  const r = await lab(['matrix', 'plan', bad]);
  t.equal(r.exitCode, 2, r.all);
  t.match(r.all, /runs\.yaml:5.*runs/);
});
