import { xmlEscape as esc } from './junit-writer.js';

/** The look every lab page shares (run, matrix, bisect, patchcheck): one style, so they read as one tool. */
const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;max-width:90em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
.n{text-align:right;font-variant-numeric:tabular-nums}.b{color:#fff;border-radius:3px;padding:1px 6px;font-weight:600;font-size:12px}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:30em}code{background:#f0f0f0;padding:0 3px}`;

/** Pure: a whole page: the shared head and style (plus a page's own rules), then the body's HTML as given. */
export function htmlPage(title: string, body: string, extraStyle = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>damon-lab ${esc(title)}</title>
<style>
${STYLE}${extraStyle ? `\n${extraStyle}` : ''}
</style></head><body>
${body.trim()}
</body></html>
`;
}

/** One colour per status or verdict, on every page: test statuses, matrix cell states, bisect verdicts. */
export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  PASS: '#2e7d32',
  DONE: '#558b2f',
  SKIP: '#757575',
  MISS: '#ef6c00',
  ERROR: '#c62828',
  FAIL: '#b71c1c',
  TIMEOUT: '#6a1b9a',
  'NOT-RUN': '#bdbdbd',
  good: '#2e7d32',
  bad: '#b71c1c',
  skip: '#757575',
  infra: '#ef6c00',
};

export const statusColour = (status: string): string => STATUS_COLOURS[status] ?? '#000';

/** Pure: a status as a coloured label (its text escaped). */
export function badge(status: string): string {
  return `<span class="b" style="background:${statusColour(status)}">${esc(status)}</span>`;
}
