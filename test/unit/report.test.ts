import t from 'tap';
import { renderTap } from '../../harness/report/tap-writer.js';
import { renderJunit } from '../../harness/report/junit-writer.js';
import { renderHtml } from '../../harness/report/html-writer.js';
import { countStatuses, type RunSummary } from '../../harness/run/run-summary.js';
import { rollUp, clipExcerpt, MAX_EXCERPT } from '../../harness/results/model.js';
import { CheckRecorder, SkipCheck } from '../../harness/suites/check-recorder.js';
import { InfraError } from '../../harness/util/errors.js';
import { Parser } from 'tap-parser';

const tests = [
  {
    path: 's.a',
    name: 'a',
    status: 'PASS' as const,
    durationMs: 5,
    metrics: [{ name: 'overlap', value: 90, unit: '%' }],
  },
  { path: 's.b', name: 'b', status: 'FAIL' as const, durationMs: 7, reason: 'no overlap', log: 'line1\nline2 <&>' },
  { path: 's.c', name: 'c', status: 'SKIP' as const, durationMs: 0, reason: 'CONFIG_X=n' },
];
const summary: RunSummary = {
  runId: 'r1',
  suite: 's',
  status: 'FAIL',
  outcome: 'test-failed',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:00:10Z',
  stages: [{ stage: 'boot', seconds: 4.2 }],
  tests,
  counts: countStatuses(tests),
  console: { findings: [], log: 'console.log' },
};

t.test('TAP output parses with tap-parser and keeps SKIP reasons', async (t) => {
  const text = renderTap('s', tests);
  const results: Array<{ ok: boolean; name: string; skip: string | boolean }> = [];
  const p = new Parser();
  p.on('assert', (a: { ok: boolean; name: string; skip: string | boolean }) => results.push(a));
  const done = new Promise<{ ok: boolean; count: number; fail: number; skip: number }>((r) => p.on('complete', r));
  p.end(text);
  const final = await done;
  t.equal(final.count, 3);
  t.equal(final.fail, 1);
  t.equal(final.skip, 1);
  t.equal(results[2]!.skip, 'CONFIG_X=n');
});

t.test('JUnit: counts, escaping, skipped', async (t) => {
  const x = renderJunit(summary);
  t.match(x, /<testsuite name="s" tests="3" failures="1" errors="0" skipped="1"/);
  t.match(x, /line2 &lt;&amp;&gt;/);
  t.match(x, /<skipped message="CONFIG_X=n"\/>/);
});

t.test('HTML: self-contained, escaped, every test listed', async (t) => {
  const h = renderHtml(summary);
  // A test name and a reason that carry markup: they must come out escaped, never as elements.
  const hostile = renderHtml({
    ...summary,
    tests: [
      {
        path: 's.<script>alert(1)</script>',
        name: '<script>alert(1)</script>',
        status: 'FAIL',
        durationMs: 0,
        reason: '<img src=x onerror=alert(2)>',
      },
    ],
  });
  t.notMatch(hostile, /<script>alert|<img src=x/, 'no markup from the input survives');
  t.match(hostile, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.notMatch(h, /<script/);
  t.match(h, /s\.a/);
  t.match(h, /overlap = 90 %/);
  t.match(h, /line2 &lt;&amp;&gt;/);
});

t.test('roll-up order FAIL > ERROR > MISS > PASS > DONE > SKIP', async (t) => {
  t.equal(rollUp(['PASS', 'SKIP', 'DONE']), 'PASS');
  t.equal(rollUp(['PASS', 'MISS', 'ERROR']), 'ERROR');
  t.equal(rollUp(['ERROR', 'FAIL']), 'FAIL');
  t.equal(rollUp([]), 'SKIP');
  t.equal(Buffer.byteLength(clipExcerpt('x'.repeat(MAX_EXCERPT * 2))) <= MAX_EXCERPT, true);
});

t.test('check chain: a failure makes later checks ERROR, always() still runs', async (t) => {
  const r = new CheckRecorder('s');
  await r.check('one', async () => 1);
  await r.check('two', async () => {
    throw new Error('boom');
  });
  let ran = false;
  await r.check('three', async () => {
    ran = true;
  });
  await r.always('cleanup', async () => {});
  t.equal(ran, false);
  t.same(
    r.records.map((x) => [x.name, x.status]),
    [
      ['one', 'PASS'],
      ['two', 'FAIL'],
      ['three', 'ERROR'],
      ['cleanup', 'PASS'],
    ],
  );
  t.match(r.records[2]!.reason, /'two' did not pass/);
});

t.test('check: SkipCheck is SKIP with its reason, InfraError is ERROR', async (t) => {
  const r = new CheckRecorder('s');
  await r.always('skipped', async () => {
    throw new SkipCheck('no IBS');
  });
  await r.always('infra', async () => {
    throw new InfraError('ssh dropped');
  });
  t.same(
    r.records.map((x) => [x.status, x.reason]),
    [
      ['SKIP', 'no IBS'],
      ['ERROR', 'ssh dropped'],
    ],
  );
});

t.test('report.html says which in-kernel DAMON users the kernel has and what the run kept off', async (t) => {
  const html = renderHtml({
    ...summary,
    damon: {
      inKernelUsers: [
        { name: 'damon_stat', built: 'y', enabledAtBoot: true },
        { name: 'damon_reclaim', built: 'y', enabledAtBoot: false },
      ],
      keptOff: ['damon_stat.enabled=N'],
      probe: {
        availOperations: ['paddr'],
        features: { probes: true, pause: false },
        goalMetrics: ['user_input', 'node_eligible_mem_bp'],
        goalTuners: [],
        probeFilterTypes: [],
        activeInKernelUsers: [],
      },
    },
  });
  t.match(
    html,
    /In-kernel DAMON users: damon_stat \(on at boot\), damon_reclaim; kept off for this suite: <code>damon_stat\.enabled=N<\/code>/,
  );
  t.match(html, /goal metrics user_input, node_eligible_mem_bp; features probes\./);
  t.notMatch(renderHtml(summary), /In-kernel DAMON users/, 'nothing said where the run knows nothing');
});

t.test('text from kernels never drives a terminal, breaks TAP or makes junit.xml unreadable', async (t) => {
  const { escapeControls } = await import('../../harness/report/control-bytes.js');
  const { renderTap } = await import('../../harness/report/tap-writer.js');
  const { xmlEscape } = await import('../../harness/report/junit-writer.js');
  t.equal(escapeControls('a\u001b[2Jb\u0000c\r\nd\te\u009b'), 'a\\x1b[2Jb\\x00c\\x0d\nd\te\\x9b');
  const tap = renderTap('s', [
    {
      path: 's.x',
      name: 'x\u001b[31m # TODO\nnot ok 9',
      status: 'FAIL',
      durationMs: 0,
      reason: 'r',
      log: 'bad\u0007 line',
    },
  ]);
  t.notMatch(tap, /[\u0000-\u0008\u000b-\u001f]/, 'no control byte in the TAP stream');
  t.match(tap, /^not ok 1 - x\\x1b\[31m \\# TODO not ok 9$/m, 'one line, no directive smuggled in the name');
  t.notMatch(tap, /^not ok 9/m);
  const xml = xmlEscape('ok\ufffe\uffff\ud800x\udc00y\u0001');
  t.equal(xml, 'okxy');
});

t.test("every page shares one shell: its title escaped, the shared style, the page's own rules after it", async (t) => {
  const { htmlPage } = await import('../../harness/report/html-page.js');
  const page = htmlPage('a <b> & "c"', '<p>x</p>', 'td.c{color:red}');
  t.match(page, /<title>damon-lab a &lt;b&gt; &amp; &quot;c&quot;<\/title>/);
  t.match(page, /border-collapse:collapse[\s\S]*td\.c\{color:red\}\n<\/style>/);
  t.match(page, /<body>\n<p>x<\/p>\n<\/body><\/html>\n$/);
});
