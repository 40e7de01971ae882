/**
 * The line layer of KTAP/TAP reading: each console or file line becomes one token, with the kernel's log
 * prefixes removed and its indentation measured. The column is the width of what stands before the TAP
 * text: whitespace (KUnit's KTAP subtests, 4 or 2 spaces a level over the years, tabs as 4 columns) and
 * "# " prefixes in front of TAP lines (kselftest output nested by run_kselftest.sh). Which column is
 * which nesting level is the parser's business: ktap.rst allows any consistent indentation.
 */
export type Directive = 'SKIP' | 'TODO' | 'XFAIL' | 'TIMEOUT' | 'ERROR';

export type KtapToken =
  | { kind: 'version'; col: number; line: number; ts?: number }
  | { kind: 'plan'; col: number; count: number; line: number; ts?: number }
  | { kind: 'subtest'; col: number; name: string; line: number; ts?: number }
  | { kind: 'result'; col: number; ok: boolean; num: number; name: string; directive?: Directive; reason?: string; line: number; ts?: number }
  | { kind: 'bailout'; col: number; reason: string; line: number; ts?: number }
  | { kind: 'diag'; col: number; text: string; line: number; ts?: number }
  | { kind: 'other'; text: string; line: number; ts?: number };

// "[    1.234567] ", "[    1.234567][    T1] ", "<6>[    1.234567] ", "<6>".
// The single space after the timestamp belongs to the prefix; any more is KTAP indentation.
const PRINTK = /^(?:<\d+>)?(?:\[\s*(\d+\.\d+)\](?:\[\s*[TC]\d+\])? ?)?/;

export function stripKernelPrefix(raw: string): { text: string; ts?: number } {
  const m = PRINTK.exec(raw);
  if (!m || m[0] === '') return { text: raw };
  return { text: raw.slice(m[0].length), ...(m[1] ? { ts: Number(m[1]) } : {}) };
}

const RESULT = /^(ok|not ok)\s+(\d+)(?:\s+-)?(?:\s+([^#]*?))?\s*(?:#\s*(.*))?$/;
const VERSION = /^K?TAP version \d+\s*$/;
const PLAN = /^1\.\.(\d+)/;
const SUBTEST = /^# Subtest: (.*)$/;
const DIRECTIVE = /^(SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b[:\s]*(.*)$/i;

function isTapLine(s: string): boolean {
  return RESULT.test(s) || VERSION.test(s) || PLAN.test(s) || SUBTEST.test(s) || /^Bail out!/.test(s);
}

export function tokenizeLine(raw: string, line: number): KtapToken {
  const { text, ts } = stripKernelPrefix(raw.replace(/\r$/, ''));
  const stamp = ts !== undefined ? { ts } : {};
  const expanded = text.replace(/\t/g, '    ');
  let rest = expanded.trimStart();
  let col = expanded.length - rest.length;
  // kselftest nests a test's own TAP behind "# " (once per level); strip those in front of TAP lines.
  while (rest.startsWith('# ') && !SUBTEST.test(rest)) {
    const inner = rest.slice(2);
    const innerTrim = inner.trimStart();
    if (!isTapLine(innerTrim) && !(innerTrim.startsWith('# ') && isNestedTap(innerTrim))) break;
    col += 2 + inner.length - innerTrim.length;
    rest = innerTrim;
  }
  let m: RegExpExecArray | null;
  if (VERSION.test(rest)) return { kind: 'version', col, line, ...stamp };
  if ((m = PLAN.exec(rest))) return { kind: 'plan', col, count: Number(m[1]), line, ...stamp };
  if ((m = SUBTEST.exec(rest))) return { kind: 'subtest', col, name: m[1]!.trim(), line, ...stamp };
  if ((m = RESULT.exec(rest))) {
    const tok: KtapToken = { kind: 'result', col, ok: m[1] === 'ok', num: Number(m[2]), name: (m[3] ?? '').trim(), line, ...stamp };
    const d = m[4] !== undefined ? DIRECTIVE.exec(m[4].trim()) : null;
    if (d) {
      tok.directive = d[1]!.toUpperCase() as Directive;
      if (d[2]) tok.reason = d[2].trim();
    }
    return tok;
  }
  if ((m = /^Bail out!\s*(.*)$/.exec(rest))) return { kind: 'bailout', col, reason: m[1]!, line, ...stamp };
  if (rest.startsWith('#')) return { kind: 'diag', col, text: rest.replace(/^#\s?/, ''), line, ...stamp };
  return { kind: 'other', text, line, ...stamp };
}

function isNestedTap(s: string): boolean {
  let r = s;
  while (r.startsWith('# ')) {
    r = r.slice(2).trimStart();
    if (isTapLine(r)) return true;
  }
  return false;
}
