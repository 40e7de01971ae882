import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xmlEscape as esc } from '../report/junit-writer.js';
import { htmlPage } from '../report/html-page.js';
import { STEP_HEAD, stepRows } from './bisect-report.js';
import type { PatchcheckRecord } from './patchcheck-record.js';

/** Pure: the terminal summary. */
export function patchcheckSummaryText(r: PatchcheckRecord): string {
  const lines = [
    `${r.id}: ${r.series}, ${r.prefixes.length - 1} prefix(es) checked${r.suite ? ` with ${r.test ?? r.suite}${r.guest ? ` in guest ${r.guest}` : ''}` : ' (build and warnings only)'}${r.from ? `; patches 1-${r.from - 1} with the base` : ''}`,
  ];
  const secs = (p: PatchcheckRecord['prefixes'][number]) =>
    `build ${p.step.build.cached ? 'cached' : `${p.step.build.seconds.toFixed(0)} s`}, all ${p.step.seconds.toFixed(0)} s`;
  for (const p of r.prefixes)
    lines.push(
      `  ${p.patch ? `patch ${p.index}` : 'base   '} ${p.problems.length ? 'BAD ' : 'ok  '} ${p.patch?.subject ?? (p.index ? `(with patches 1-${p.index})` : '')} [${secs(p)}]${p.problems.length ? ` — ${p.problems.join('; ')}` : ''}`,
    );
  lines.push(
    r.firstBad
      ? `first bad patch: ${r.firstBad.index} ${r.firstBad.subject} (${r.firstBad.origin})\nreproduce: ${r.firstBad.reproduce}`
      : 'every patch is good',
  );
  return lines.join('\n');
}

/** Pure: the patchcheck page. */
export function renderPatchcheckHtml(r: PatchcheckRecord, dir: string): string {
  const first = r.firstBad
    ? `<h2>First bad patch: ${r.firstBad.index}</h2><p>${esc(r.firstBad.subject)} <small>(${esc(r.firstBad.origin)})</small></p><ul>${r.firstBad.problems.map((x) => `<li>${esc(x)}</li>`).join('')}</ul><p>Reproduce: <code>${esc(r.firstBad.reproduce)}</code></p>`
    : r.finishedAt
      ? '<h2>Every patch is good</h2>'
      : '<p>In progress.</p>';
  const warn = r.prefixes
    .filter((p) => p.newWarnings.length)
    .map((p) => `<h3>Patch ${p.index}: new warnings</h3><pre>${esc(p.newWarnings.map((w) => w.text).join('\n'))}</pre>`)
    .join('\n');
  return htmlPage(
    `${r.id}`,
    `<h1>${esc(r.id)}: ${esc(r.series)}</h1>
<p>Base <code>${esc(r.base.slice(0, 12))}</code>${r.from ? ` with patches 1-${r.from - 1}` : ''}; ${r.suite ? `judged by ${esc(r.test ?? r.suite)}, ${esc(r.rule)}` : 'build and warnings only'}.</p>
${first}
<table>${STEP_HEAD}${stepRows(
      r.prefixes.map((p) => p.step),
      dir,
    )}</table>
${warn}
`,
  );
}

export function writePatchcheckReport(dir: string, r: PatchcheckRecord): void {
  writeFileSync(join(dir, 'report.html'), renderPatchcheckHtml(r, dir));
  writeFileSync(join(dir, 'summary.txt'), patchcheckSummaryText(r) + '\n');
}
