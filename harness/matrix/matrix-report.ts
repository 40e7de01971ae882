import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xmlEscape as esc, renderJunitSuites } from '../report/junit-writer.js';
import { htmlPage, statusColour } from '../report/html-page.js';
import type { RunSummary } from '../run/run-summary.js';
import type { MatrixPlan } from './plan.js';
import type { CellAgainstBaseline } from '../compare/compare-kernels.js';
import type { CellResult, CellRun, MatrixSummary } from './matrix-record.js';

/** Pure: "3 PASS, 1 FAIL". */
function runStatuses(runs: readonly CellRun[]): string {
  const by = new Map<string, number>();
  for (const r of runs) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  return [...by].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** Pure: the cell table, rows kernels, columns guest × suite, each cell coloured by status and linked to its report. */
export function renderMatrixHtml(s: MatrixSummary, plan: MatrixPlan): string {
  const guests = [...new Set(plan.cells.map((c) => c.guest))];
  const suites = [...new Set(plan.cells.map((c) => c.suite))];
  const head1 = guests.map((g) => `<th colspan="${suites.length}">${esc(g)}</th>`).join('');
  const head2 = guests.map(() => suites.map((x) => `<th>${esc(x)}</th>`).join('')).join('');
  const rows = plan.kernels
    .map((k) => {
      const kr = s.kernels.find((x) => x.id === k.id);
      const build = kr
        ? kr.ok
          ? `${kr.release ?? 'stock'}${kr.cached ? ', cached' : kr.seconds ? `, built in ${kr.seconds} s` : ''}`
          : `<b>build failed</b><pre>${esc((kr.error ?? '').slice(0, 1500))}</pre>`
        : 'not built yet';
      const tds = guests
        .map((g) =>
          suites.map((x) => cellTd(s.cells.find((c) => c.kernel === k.id && c.guest === g && c.suite === x))).join(''),
        )
        .join('');
      return `<tr><th>${esc(k.id)}<br><small>${build}</small></th>${tds}</tr>`;
    })
    .join('\n');
  const regressions = s.cells
    .filter((c) => c.newFailures?.length || c.metricRegressions?.length)
    .map(
      (c) =>
        `<h3>${esc(c.id)}</h3><ul>${(c.newFailures ?? []).map((f) => `<li>${esc(f)}</li>`).join('')}${(c.metricRegressions ?? []).map((f) => `<li>slower: ${esc(f)}</li>`).join('')}</ul>`,
    )
    .join('\n');
  return htmlPage(
    `matrix ${s.name}`,
    `<h1>Matrix ${esc(s.name)}</h1>
<p><code>${esc(s.matrixRunId)}</code>, ${esc(s.startedAt)} → ${esc(s.finishedAt)}; ${s.cells.length} cell(s), ${s.pool.limit} guest(s) at once (${esc(s.pool.reason)})${s.interrupted ? '; <b>interrupted</b>' : ''}${s.baseline ? `; compared with <code>${esc(s.baseline)}</code>` : ''}.</p>
${s.hosts?.length ? `<p>libvirt hosts: ${s.hosts.map((h) => `<b>${esc(h.name)}</b> (${h.error ? `unreachable: ${esc(h.error)}` : `${esc(h.accel ?? '')}, ${esc(h.vendor ?? '')}`})`).join('; ')}.</p>` : ''}
<table><tr><th rowspan="2">kernel</th>${head1}</tr><tr>${head2}</tr>
${rows}
</table>
${regressions ? `<h2>New failures and regressions against the baseline</h2>${regressions}` : s.baseline || s.baselineKernel ? '<p>No new failures or metric regressions against the baseline.</p>' : ''}
${renderAgainstBaseline(s)}
${renderAgainstRun(s)}
`,
    'tr.slower td{background:#fde2e1}td.c{color:#fff;font-weight:600;text-align:center;min-width:7em}td.c a{color:#fff}small{font-weight:400;color:#555}td.c small{color:#eee}pre{white-space:pre-wrap;max-width:40em}',
  );
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Pure: each compared cell's metrics next to the baseline kernel's, one row per metric. */
export function renderAgainstBaseline(s: MatrixSummary): string {
  if (!s.baselineKernel) return '';
  const cells = s.againstBaseline ?? [];
  if (cells.some((c) => c.stats))
    return `<h2>Against the baseline kernel ${esc(s.baselineKernel)}</h2>\n${statsTable(cells, s.baselineKernel, s.threshold)}`;
  const rows = cells.flatMap((c) => {
    const changes = [
      ...c.newFailures.map((x) => `new failure ${x.path}: ${x.before} → ${x.after}`),
      ...c.fixes.map((x) => `fixed ${x.path}: ${x.before} → ${x.after}`),
      ...c.otherChanges.map((x) => `${x.path}: ${x.before} → ${x.after}`),
    ];
    const head = `<tr><th colspan="6">${esc(c.id)} <small>against ${esc(c.baselineId)}${changes.length ? `; ${esc(changes.join('; '))}` : '; same statuses'}</small></th></tr>`;
    const metrics = c.metrics.map(
      (m) =>
        `<tr><td>${esc(m.test)}</td><td>${esc(m.name)}</td><td>${num(m.baseline)} ${esc(m.unit)}</td><td>${num(m.value)} ${esc(m.unit)}</td><td>${m.delta >= 0 ? '+' : ''}${num(m.delta)}</td><td>${m.ratio === undefined ? '' : `×${m.ratio.toFixed(2)}`}</td></tr>`,
    );
    return [head, ...metrics];
  });
  return `<h2>Against the baseline kernel ${esc(s.baselineKernel)}</h2>
<p><small>Each cell next to the same guest and suite on ${esc(s.baselineKernel)}: one run each, so a difference is an observation, not a statistic.</small></p>
${rows.length ? `<table><tr><th>test</th><th>metric</th><th>${esc(s.baselineKernel)}</th><th>this kernel</th><th>difference</th><th>ratio</th></tr>\n${rows.join('\n')}\n</table>` : '<p>No cell ran on both kernels.</p>'}`;
}

/** Pure: each cell against the same cell of an earlier matrix run (--baseline RUN), as a statistics table. */
export function renderAgainstRun(s: MatrixSummary): string {
  const cells = s.againstRun ?? [];
  if (!s.baseline || !cells.some((c) => c.stats)) return '';
  return `<h2>Against matrix run ${esc(s.baseline)}</h2>\n${statsTable(cells, 'baseline run', s.threshold)}`;
}

/**
 * Pure: per compared cell, every metric as `lab ab` reports it: both medians, B/A with its 95% interval, the rank
 * test's p and the verdict; cells with too few runs a side say so instead.
 */
function statsTable(cells: readonly CellAgainstBaseline[], baseName: string, threshold = 5): string {
  const rows = cells.flatMap((c) => {
    const n = c.counted ? `${c.counted.baseline} run(s) counted on the baseline, ${c.counted.now} here` : 'one run';
    const head = `<tr><th colspan="7">${esc(c.id)} <small>against ${esc(c.baselineId)}; ${n}${c.newFailures.length ? `; ${c.newFailures.length} new failure(s)` : ''}</small></th></tr>`;
    if (!c.stats)
      return [head, '<tr><td colspan="7"><small>too few passing runs a side for the test</small></td></tr>'];
    return [
      head,
      ...c.stats.map(
        (m) =>
          `<tr${m.reported === 'slower' ? ' class="slower"' : ''}><td>${esc(m.test)}</td><td>${esc(m.name)}</td><td>${num(m.medianA)} ${esc(m.unit)}</td><td>${num(m.medianB)} ${esc(m.unit)}</td><td>×${m.interval.ratio.toFixed(3)} [${m.interval.low.toFixed(3)}, ${m.interval.high.toFixed(3)}]</td><td>${m.rankTest.p.toFixed(3)}</td><td title="${esc(m.why)}">${esc(m.reported)}</td></tr>`,
      ),
    ];
  });
  return `<p><small>Medians of the runs that passed; ratio this/baseline with a bootstrap 95% interval; Mann–Whitney U p-value. A metric is slower or faster when p &lt; 0.05 and the whole interval lies more than ${threshold}% from 1 (as <code>lab ab</code>).</small></p>
<table><tr><th>test</th><th>metric</th><th>${esc(baseName)} median</th><th>median</th><th>ratio [95% interval]</th><th>p</th><th>verdict</th></tr>
${rows.join('\n')}
</table>`;
}

function cellTd(c: CellResult | undefined): string {
  if (!c) return '<td></td>';
  const counts = c.counts
    ? `${c.counts.PASS} pass${c.counts.FAIL ? `, ${c.counts.FAIL} fail` : ''}${c.counts.SKIP ? `, ${c.counts.SKIP} skip` : ''}`
    : '';
  const label = c.report ? `<a href="${esc(c.report)}/report.html">${esc(c.status)}</a>` : esc(c.status);
  const title = c.reason ? ` title="${esc(c.reason)}"` : '';
  const regress = [
    c.newFailures?.length ? `<br><small>${c.newFailures.length} new failure(s)</small>` : '',
    c.metricRegressions?.length ? `<br><small>${c.metricRegressions.length} metric(s) slower</small>` : '',
    c.runs ? `<br><small>${c.runs.length} runs: ${runStatuses(c.runs)}</small>` : '',
  ].join('');
  const host = c.host ? `<br><small>on ${esc(c.host)}</small>` : '';
  return `<td class="c"${title} style="background:${statusColour(c.status)}">${label}<br><small>${counts}${c.seconds ? ` · ${c.seconds.toFixed(0)} s` : ''}</small>${host}${regress}</td>`;
}

/** What one kernel's DAMON offered, as its cells' probes found it. */
export interface KernelDamon {
  kernel: string;
  release?: string;
  goalMetrics: string[];
  features: string[];
  goalTuners: string[];
  probeFilterTypes: string[];
  inKernelUsers: string[];
}

/** Pure: per kernel, what the probes of its cells found (the union over its cells). */
export function damonByKernel(cells: ReadonlyArray<{ kernel: string; summary: RunSummary }>): KernelDamon[] {
  const by = new Map<string, KernelDamon>();
  const add = (list: string[], more: readonly string[]) => {
    for (const x of more) if (!list.includes(x)) list.push(x);
  };
  for (const { kernel, summary } of cells) {
    const d = summary.damon;
    if (!d) continue;
    const k = by.get(kernel) ?? {
      kernel,
      goalMetrics: [],
      features: [],
      goalTuners: [],
      probeFilterTypes: [],
      inKernelUsers: [],
    };
    if (summary.kernel?.release) k.release = summary.kernel.release;
    add(
      k.inKernelUsers,
      d.inKernelUsers.map((u) => `${u.name}${u.enabledAtBoot ? ' (on at boot)' : ''}`),
    );
    if (d.probe) {
      add(k.goalMetrics, d.probe.goalMetrics);
      add(
        k.features,
        Object.entries(d.probe.features)
          .filter(([, v]) => v)
          .map(([f]) => f),
      );
      add(k.goalTuners, d.probe.goalTuners);
      add(k.probeFilterTypes, d.probe.probeFilterTypes);
    }
    by.set(kernel, k);
  }
  return [...by.values()];
}

function renderDamonTable(rows: readonly KernelDamon[]): string {
  if (!rows.length) return '';
  const list = (x: readonly string[]) => (x.length ? esc(x.join(', ')) : '<small>none</small>');
  return `<h2>What each kernel's DAMON offers</h2><p><small>As probed in its cells' guests (DAMON sysfs files, goal metrics and tuners a write accepts); what a kernel lacks makes the suites that need it SKIP with the reason.</small></p>
<table><tr><th>kernel</th><th>quota goal metrics</th><th>sysfs features</th><th>goal tuners</th><th>probe filters</th><th>in-kernel users</th></tr>
${rows.map((k) => `<tr><th>${esc(k.kernel)}${k.release ? `<br><small>${esc(k.release)}</small>` : ''}</th><td>${list(k.goalMetrics)}</td><td>${list(k.features)}</td><td>${list(k.goalTuners)}</td><td>${list(k.probeFilterTypes)}</td><td>${list(k.inKernelUsers)}</td></tr>`).join('\n')}
</table>`;
}

/** Writes reports/<matrix-run-id>/: summary.json, junit.xml (a testsuite per cell), index.html. */
export function writeMatrixReport(dir: string, s: MatrixSummary, plan: MatrixPlan): void {
  const runs = s.cells.flatMap((c) => {
    const f = c.report ? join(dir, c.report, 'summary.json') : undefined;
    return f && existsSync(f)
      ? [{ name: c.id, kernel: c.kernel, summary: JSON.parse(readFileSync(f, 'utf8')) as RunSummary }]
      : [];
  });
  const damon = damonByKernel(runs);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...s, damonByKernel: damon }, null, 2) + '\n');
  writeFileSync(join(dir, 'junit.xml'), renderJunitSuites(runs));
  writeFileSync(
    join(dir, 'index.html'),
    renderMatrixHtml(s, plan).replace('</body>', `${renderDamonTable(damon)}\n</body>`),
  );
}
