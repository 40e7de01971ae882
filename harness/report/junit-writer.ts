import type { RunSummary } from '../run/run-summary.js';

export function xmlEscape(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 cannot carry most control characters, which kernel consoles do emit, nor U+FFFE/U+FFFF
      // or unpaired surrogates (expat rejects the whole file).
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
  );
}

/** Pure: JUnit XML as CI systems read it (one testsuite per run, a testcase per test record). */
export function renderJunit(s: RunSummary): string {
  return renderJunitSuites([{ name: s.suite, summary: s }]);
}

/** Pure: several runs in one JUnit file, a testsuite each (a matrix: one per cell). */
export function renderJunitSuites(runs: ReadonlyArray<{ name: string; summary: RunSummary }>): string {
  const all = runs.flatMap((r) => r.summary.tests);
  const count = (f: (x: RunSummary['tests'][number]) => boolean) => all.filter(f).length;
  const extraErrors = runs.filter((r) => r.summary.error && r.summary.tests.length === 0).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="damon-lab" tests="${all.length}" failures="${count((x) => x.status === 'FAIL')}" errors="${count((x) => x.status === 'ERROR' || x.status === 'MISS') + extraErrors}" skipped="${count((x) => x.status === 'SKIP')}">`,
    ...runs.flatMap((r) => junitTestsuite(r.name, r.summary)),
    '</testsuites>',
  ];
  return lines.join('\n') + '\n';
}

/** Pure: one run as a <testsuite> element's lines. */
function junitTestsuite(name: string, s: RunSummary): string[] {
  const t = s.tests;
  const failures = t.filter((x) => x.status === 'FAIL').length;
  const errors =
    t.filter((x) => x.status === 'ERROR' || x.status === 'MISS').length + (s.error && t.length === 0 ? 1 : 0);
  const skipped = t.filter((x) => x.status === 'SKIP').length;
  const total = t.reduce((n, x) => n + x.durationMs, 0) / 1000;
  const lines = [
    `  <testsuite name="${xmlEscape(name)}" tests="${t.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${total.toFixed(3)}" timestamp="${s.startedAt}">`,
    '    <properties>',
    `      <property name="run_id" value="${xmlEscape(s.runId)}"/>`,
    `      <property name="kernel" value="${xmlEscape(s.kernel?.release ?? '')}"/>`,
    `      <property name="accel" value="${xmlEscape(s.guest?.accel ?? '')}"/>`,
    '    </properties>',
  ];
  for (const x of t) {
    const open = `    <testcase classname="${xmlEscape(s.suite)}" name="${xmlEscape(x.name)}" time="${(x.durationMs / 1000).toFixed(3)}"`;
    const body: string[] = [];
    if (x.status === 'FAIL')
      body.push(`      <failure message="${xmlEscape(x.reason ?? 'failed')}">${xmlEscape(x.log ?? '')}</failure>`);
    else if (x.status === 'ERROR' || x.status === 'MISS')
      body.push(`      <error message="${xmlEscape(x.reason ?? x.status)}">${xmlEscape(x.log ?? '')}</error>`);
    else if (x.status === 'SKIP') body.push(`      <skipped message="${xmlEscape(x.reason ?? '')}"/>`);
    if (body.length) lines.push(`${open}>`, ...body, '    </testcase>');
    else lines.push(`${open}/>`);
  }
  if (s.error && t.length === 0) {
    lines.push(
      `    <testcase classname="${xmlEscape(s.suite)}" name="run" time="0">`,
      `      <error message="${xmlEscape(s.error.message)}">${xmlEscape(s.error.details ?? '')}</error>`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>');
  return lines;
}
