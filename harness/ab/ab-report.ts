import { xmlEscape as esc } from '../report/junit-writer.js';
import { badge, htmlPage } from '../report/html-page.js';
import { twoSamplesSvg } from '../report/svg-plots.js';
import type { MetricResult } from './ab-samples.js';

/** One side of an A/B: what it runs. */
export interface AbSide {
  label: string;
  kernel: string;
  guest: string;
  suite: string;
}

/** reports/<ab-id>/summary.json: every run, every sample, every comparison. */
export interface AbRecord {
  abId: string;
  /** The command that reproduces it. */
  command: string;
  startedAt: string;
  finishedAt: string;
  a: AbSide;
  b: AbSide;
  runsPerSide: number;
  /** Fraction: 0.05 is 5%. */
  threshold: number;
  seed: number;
  /** The runs in the order they ran (A B A B…). */
  runs: Array<{ side: 'a' | 'b'; runId: string; reportDir: string; status: string; outcome: string; counted: boolean }>;
  /** Runs not counted (failed, broken), per side, with why. */
  failed: {
    a: Array<{ runId: string; status: string; why: string }>;
    b: Array<{ runId: string; status: string; why: string }>;
  };
  metrics: MetricResult[];
  /** Set when the A/B stopped before all its runs (Ctrl-C, an infrastructure fault). */
  stopped?: string;
}

const VERDICT_COLOUR: Readonly<Record<string, string>> = {
  slower: 'FAIL',
  faster: 'PASS',
  higher: 'SKIP',
  lower: 'SKIP',
  'no detectable change': 'SKIP',
};

const num = (x: number) => (Number.isFinite(x) ? String(+x.toPrecision(4)) : '–');

/** Pure: the verdict lines a terminal shows, one per metric, then the count. */
export function abSummaryText(r: AbRecord): string {
  const lines = [`A/B ${r.abId}: A = ${r.a.label}, B = ${r.b.label}, ${r.runsPerSide} runs each (interleaved)`];
  for (const m of r.metrics)
    lines.push(
      `  ${`${m.test} ${m.name}`.padEnd(52)} A ${num(m.medianA).padStart(8)}  B ${num(m.medianB).padStart(8)} ${m.unit.padEnd(8)} B/A ${num(m.interval.ratio)} [${num(m.interval.low)}, ${num(m.interval.high)}]  p=${m.rankTest.p.toFixed(3)}  ${m.reported}`,
    );
  for (const side of ['a', 'b'] as const)
    for (const f of r.failed[side])
      lines.push(`  not counted (${side.toUpperCase()}): ${f.runId} ${f.status}: ${f.why}`);
  const slower = r.metrics.filter((m) => m.reported === 'slower').length;
  lines.push(
    `${r.metrics.length} metrics: ${slower} slower, ${r.metrics.filter((m) => m.reported === 'faster').length} faster beyond ${Math.round(r.threshold * 100)}% with the whole 95% interval past it${r.stopped ? ` (stopped: ${r.stopped})` : ''}`,
  );
  return lines.join('\n');
}

/** Pure: report.html: the question, the table of ratios and verdicts, each metric's two distributions, the runs. */
export function renderAbHtml(r: AbRecord): string {
  const side = (name: string, s: AbSide) =>
    `<tr><th>${name}</th><td>${esc(s.label)}</td><td>${esc(s.kernel)}</td><td>${esc(s.guest)}</td><td>${esc(s.suite)}</td></tr>`;
  const rows = r.metrics
    .map(
      (m) =>
        `<tr><td>${esc(m.test)}</td><td>${esc(m.name)}</td><td>${esc(m.unit)}</td><td>${m.better ?? '–'}</td><td class="n">${num(m.medianA)}</td><td class="n">${num(m.medianB)}</td><td class="n">${num(m.interval.ratio)}</td><td class="n">[${num(m.interval.low)}, ${num(m.interval.high)}]</td><td class="n">${m.rankTest.p.toFixed(3)}</td><td>${badge(m.reported).replace(/background:[^"]*/, `background:${colour(m.reported)}`)}</td><td>${esc(m.why)}</td></tr>`,
    )
    .join('\n');
  const plots = r.metrics
    .map((m) =>
      twoSamplesSvg(
        `${m.test} ${m.name}`,
        m.a,
        m.b,
        m.unit,
        `B/A ${num(m.interval.ratio)}, 95% CI [${num(m.interval.low)}, ${num(m.interval.high)}], p=${m.rankTest.p.toFixed(3)}: ${m.reported}`,
      ),
    )
    .join('\n');
  const runs = r.runs
    .map(
      (x, i) =>
        `<tr><td class="n">${i + 1}</td><td>${x.side.toUpperCase()}</td><td><a href="${esc(x.reportDir)}/report.html">${esc(x.runId)}</a></td><td>${badge(x.status)}</td><td>${x.counted ? 'counted' : 'not counted'}</td></tr>`,
    )
    .join('\n');
  const body = `<h1>A/B ${esc(r.abId)}</h1>
<p>Is B different from A? ${r.runsPerSide} runs each, interleaved A B A B…; per metric the medians, the ratio B/A with a
bootstrap 95% interval (seed ${r.seed}), the Mann–Whitney U test's two-sided p, and the verdict at a ${Math.round(r.threshold * 100)}%
threshold: slower or faster only when p &lt; 0.05 and the whole interval lies past the threshold.</p>
${r.stopped ? `<p><b>Stopped before all runs:</b> ${esc(r.stopped)}</p>` : ''}
<p>Reproduce: <code>${esc(r.command)}</code></p>
<table><tr><th></th><th>label</th><th>kernel</th><th>guest</th><th>suite</th></tr>
${side('A', r.a)}
${side('B', r.b)}</table>
<h2>Metrics</h2>
<table><tr><th>test</th><th>metric</th><th>unit</th><th>better</th><th>median A</th><th>median B</th><th>B/A</th><th>95% CI</th><th>p</th><th>verdict</th><th>why</th></tr>
${rows}</table>
<h2>Distributions</h2>
<div class="plots">${plots}</div>
<h2>Runs</h2>
<table><tr><th>#</th><th>side</th><th>run</th><th>status</th><th></th></tr>
${runs}</table>`;
  return htmlPage(`A/B ${r.abId}`, body, '.plots svg{margin:4px}');
}

function colour(verdict: string): string {
  return { FAIL: '#b71c1c', PASS: '#2e7d32', SKIP: '#757575' }[VERDICT_COLOUR[verdict] ?? 'SKIP']!;
}
