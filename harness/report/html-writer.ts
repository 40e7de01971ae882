import type { RunSummary } from '../run/run-summary.js';
import { xmlEscape as esc } from './junit-writer.js';
import { badge, htmlPage } from './html-page.js';

/** Pure: a self-contained report page (no scripts, no external assets). */
export function renderHtml(s: RunSummary): string {
  const rows = s.tests
    .map((t) => {
      const metrics = (t.metrics ?? []).map((m) => `${esc(m.name)} = ${m.value} ${esc(m.unit)}`).join('<br>');
      const log = t.log ? `<details><summary>log</summary><pre>${esc(t.log)}</pre></details>` : '';
      return `<tr><td>${badge(t.status)}</td><td>${esc(t.path)}</td><td class="n">${(t.durationMs / 1000).toFixed(2)} s</td><td>${esc(t.reason ?? '')}${log}</td><td>${metrics}</td></tr>`;
    })
    .join('\n');
  const stages = s.stages
    .map(
      (st) =>
        `<tr><td>${esc(st.stage)}</td><td class="n">${st.seconds.toFixed(2)} s</td><td>${esc(st.note ?? '')}</td></tr>`,
    )
    .join('\n');
  const findings = s.console.findings
    .map((f) => `<h3>${esc(f.kind)} at console line ${f.line}</h3><pre>${esc(f.excerpt)}</pre>`)
    .join('\n');
  const error = s.error
    ? `<h2>Run error</h2><p>${esc(s.error.message)}</p>${s.error.details ? `<pre>${esc(s.error.details)}</pre>` : ''}`
    : '';
  const counts = Object.entries(s.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${badge(k)} ${n}`)
    .join(' ');
  return htmlPage(
    `${s.suite} ${s.runId}`,
    `<h1>${esc(s.suite)} ${badge(s.status)}</h1>
<p>Run <code>${esc(s.runId)}</code>, ${esc(s.startedAt)} → ${esc(s.finishedAt)}, outcome ${esc(s.outcome)}. ${counts}</p>
<p>Kernel <code>${esc(s.kernel?.release ?? '?')}</code> (${esc(s.kernel?.source ?? '')}); guest <code>${esc(s.guest?.name ?? '?')}</code>, accel <code>${esc(s.guest?.accel ?? '?')}</code>${s.guest?.accelReason ? ` (${esc(s.guest.accelReason)})` : ''}.</p>
${damonLine(s)}
${snapshotLine(s)}
${error}
<h2>Tests</h2>
<table><tr><th>status</th><th>test</th><th>time</th><th>reason</th><th>metrics</th></tr>
${rows}
</table>
${s.plots?.length ? `<h2>Plots</h2>\n${s.plots.map((p) => `<figure>${p.svg}<figcaption>${esc(p.title)}</figcaption></figure>`).join('\n')}` : ''}
<h2>Stages</h2>
<table><tr><th>stage</th><th>time</th><th>note</th></tr>
${stages}
</table>
<h2>Console</h2>
<p><a href="console.log">console.log</a>; ${s.console.findings.length} finding(s).</p>
${findings}
<h2>QEMU command</h2>
<pre>${esc((s.guest?.argv ?? []).join(' '))}</pre>
`,
  );
}

/** Pure: whether the guest was restored from a saved one, saved for later runs, or booted although one was there. */
function snapshotLine(s: RunSummary): string {
  const n = s.snapshot;
  if (!n) return '';
  const what = n.restoredFrom
    ? `restored from snapshot <code>${esc(n.key)}</code> (${esc(n.restoredFrom)}) instead of booting`
    : n.saved
      ? `booted, then saved as snapshot <code>${esc(n.key)}</code> for later runs`
      : `booted`;
  return `<p>Guest: ${what}${n.note ? `; ${esc(n.note)}` : ''}.</p>`;
}

/** Pure: DAMON's in-kernel users and what the run did about them, and what the kernel's DAMON offered. */
function damonLine(s: RunSummary): string {
  const d = s.damon;
  if (!d) return '';
  const users = d.inKernelUsers.map((u) => `${u.name}${u.enabledAtBoot ? ' (on at boot)' : ''}`).join(', ');
  const kept = d.keptOff.length ? `; kept off for this suite: <code>${esc(d.keptOff.join(' '))}</code>` : '';
  const probe = d.probe
    ? ` DAMON sysfs: goal metrics ${esc(d.probe.goalMetrics.join(', ') || 'none')}; features ${esc(
        Object.entries(d.probe.features)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(', ') || 'none',
      )}.`
    : '';
  return `<p>In-kernel DAMON users: ${esc(users || 'none')}${kept}.${probe}</p>`;
}
