import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { xmlEscape as esc } from '../report/junit-writer.js';
import { badge, htmlPage } from '../report/html-page.js';
import { reportsRoot } from '../util/paths.js';
import type { StepRecord } from './test-commit.js';
import type { BisectRecord } from './bisect-record.js';

/** Pure: one table row per tested step, with links to its build log and each run's report. */
export function stepRows(steps: readonly StepRecord[], reportDir: string): string {
  return steps
    .map((s) => {
      const runs = s.runs
        .map((r, i) => {
          const link = r.runId
            ? ` <a href="${esc(relative(reportDir, join(reportsRoot(), r.runId, 'report.html')))}">run ${i + 1}</a>`
            : ` run ${i + 1}`;
          return `${link}: ${badge(r.verdict)} ${esc(r.reason)}`;
        })
        .join('<br>');
      const log = s.build.logPath ? ` <a href="${esc(s.build.logPath)}">log</a>` : '';
      const build = s.build.ok
        ? `${s.build.cached ? 'cached' : `${s.build.seconds} s`}${log}`
        : `<b>failed</b>${log}<pre>${esc((s.build.error ?? '').slice(0, 2000))}</pre>`;
      return `<tr><td>${esc(s.label)}</td><td><code>${esc(s.commit?.slice(0, 12) ?? '')}</code></td><td>${esc(s.subject)}</td><td class="n">${build}</td><td>${badge(s.verdict)} ${esc(s.reason)}</td><td>${runs}</td><td class="n">${s.seconds} s</td></tr>`;
    })
    .join('\n');
}

export const STEP_HEAD =
  '<tr><th>step</th><th>commit</th><th>subject</th><th>build</th><th>verdict</th><th>runs (evidence)</th><th>time</th></tr>';

/** Pure: the bisection's page. */
export function renderBisectHtml(b: BisectRecord, reportDir: string): string {
  const verify = [b.verification.good, b.verification.bad].filter((s): s is StepRecord => s !== undefined);
  let result = '<p>In progress (run the same command again to resume).</p>';
  if (b.result?.kind === 'found') {
    result = `<h2>First bad commit</h2><p><code>${esc(b.result.commit)}</code> ${esc(b.result.subject)}</p><p>${esc(b.result.verdictReason)}</p><pre>${esc(b.result.diffstat)}</pre><p>Reproduce the verdict: <code>${esc(b.result.reproduce)}</code></p>`;
  } else if (b.result?.kind === 'ambiguous') {
    result = `<h2>Only skipped commits left</h2><p>The first bad commit is one of:</p><ul>${b.result.candidates.map((c) => `<li><code>${esc(c.commit.slice(0, 12))}</code> ${esc(c.subject)}</li>`).join('')}</ul>`;
  }
  return htmlPage(
    `${b.id}`,
    `<h1>${esc(b.id)}</h1>
<p><code>${esc(b.command)}</code></p>
<p>${b.candidates} candidate commit(s) between <code>${esc(b.goodCommit.slice(0, 12))}</code> (good) and <code>${esc(b.badCommit.slice(0, 12))}</code> (bad); ${b.steps.length} bisection step(s) (bound ⌈log2 N⌉ + 1 = ${b.stepBound}). Judged by ${esc(b.args.test ?? `the whole suite ${b.args.suite}`)}; ${b.args.runs} run(s) per step, ${esc(b.rule)}.${b.resumed ? ` Resumed ${b.resumed} time(s).` : ''}</p>
${result}
<h2>Verification of the ends</h2>
<table>${STEP_HEAD}${stepRows(verify, reportDir)}</table>
<h2>Steps</h2>
<table>${STEP_HEAD}${stepRows(b.steps, reportDir)}</table>
`,
  );
}

/** Pure: the terminal summary. */
export function bisectSummaryText(b: BisectRecord): string {
  const lines = [`${b.id}: ${b.candidates} candidates, ${b.steps.length} step(s) (bound ${b.stepBound})`];
  for (const s of b.steps)
    lines.push(`  ${s.commit?.slice(0, 12) ?? '?'} ${s.verdict.padEnd(4)} ${s.subject} — ${s.reason}`);
  if (b.result?.kind === 'found') {
    lines.push(
      `first bad commit: ${b.result.commit} ${b.result.subject}`,
      b.result.diffstat
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
      `reproduce: ${b.result.reproduce}`,
    );
  } else if (b.result?.kind === 'ambiguous') {
    lines.push(
      'only skipped commits left; the first bad commit is one of:',
      ...b.result.candidates.map((c) => `  ${c.commit.slice(0, 12)} ${c.subject}`),
    );
  }
  return lines.join('\n');
}

export function writeBisectReport(dir: string, b: BisectRecord): void {
  writeFileSync(join(dir, 'report.html'), renderBisectHtml(b, dir));
  writeFileSync(join(dir, 'summary.txt'), bisectSummaryText(b) + '\n');
}
