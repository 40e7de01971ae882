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
