import type { TestRecord } from '../results/model.js';
import { escapeControls } from './control-bytes.js';

/** YAML-safe scalar for a TAP diagnostic block. */
function yamlScalar(s: string): string {
  return JSON.stringify(s);
}

/** Pure: TAP version 14 for a run's test records (SKIP as "# SKIP reason", ERROR/MISS as not ok). */
export function renderTap(suite: string, tests: readonly TestRecord[]): string {
  const out = ['TAP version 14', `# suite: ${suite}`, `1..${tests.length}`];
  tests.forEach((t, i) => {
    const ok = t.status === 'PASS' || t.status === 'DONE' || t.status === 'SKIP';
    // Names and reasons come from kernels and scenarios: one line each, no control bytes, no '#' that
    // would start a directive inside a name.
    const oneLine = (x: string) => escapeControls(x).replace(/\s*\n\s*/g, ' ');
    let line = `${ok ? 'ok' : 'not ok'} ${i + 1} - ${oneLine(t.name).replace(/#/g, '\\#')}`;
    if (t.status === 'SKIP') line += ` # SKIP ${oneLine(t.reason ?? '')}`.trimEnd();
    out.push(line);
    const diag: string[] = [`  duration_ms: ${t.durationMs}`, `  status: ${t.status}`];
    if (t.reason && t.status !== 'SKIP') diag.push(`  message: ${yamlScalar(t.reason)}`);
    for (const m of t.metrics ?? []) diag.push(`  ${m.name}: ${m.value} # ${m.unit}`);
    if (t.log && !ok)
      diag.push(
        '  log: |-',
        ...escapeControls(t.log)
          .split('\n')
          .map((l) => `    ${l}`),
      );
    out.push('  ---', ...diag, '  ...');
  });
  return out.join('\n') + '\n';
}
