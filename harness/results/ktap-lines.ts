/**
 * The line layer of KTAP/TAP reading: each console or file line becomes one token, with the kernel's log
 * prefixes removed and its nesting depth worked out. Depth comes from 4-space indentation (KUnit's KTAP
 * subtests) and from "# " prefixes in front of TAP lines (kselftest output nested by run_kselftest.sh).
 */
export type Directive = 'SKIP' | 'TODO' | 'XFAIL' | 'TIMEOUT' | 'ERROR';

export type KtapToken =
  | { kind: 'version'; depth: number; line: number; ts?: number }
  | { kind: 'plan'; depth: number; count: number; line: number; ts?: number }
  | { kind: 'subtest'; depth: number; name: string; line: number; ts?: number }
  | { kind: 'result'; depth: number; ok: boolean; num: number; name: string; directive?: Directive; reason?: string; line: number; ts?: number }
  | { kind: 'bailout'; depth: number; reason: string; line: number; ts?: number }
  | { kind: 'diag'; depth: number; text: string; line: number; ts?: number }
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
  const spaces = expanded.length - expanded.trimStart().length;
  let depth = Math.floor(spaces / 4);
  let rest = expanded.trimStart();
  // kselftest nests a test's own TAP behind "# " (once per level); strip those in front of TAP lines.
  while (rest.startsWith('# ') && !SUBTEST.test(rest)) {
    const inner = rest.slice(2);
    const innerTrim = inner.trimStart();
    if (!isTapLine(innerTrim) && !(innerTrim.startsWith('# ') && isNestedTap(innerTrim))) break;
    depth += 1 + Math.floor((inner.length - innerTrim.length) / 4);
    rest = innerTrim;
  }
  let m: RegExpExecArray | null;
  if (VERSION.test(rest)) return { kind: 'version', depth, line, ...stamp };
  if ((m = PLAN.exec(rest))) return { kind: 'plan', depth, count: Number(m[1]), line, ...stamp };
  if ((m = SUBTEST.exec(rest))) return { kind: 'subtest', depth, name: m[1]!.trim(), line, ...stamp };
  if ((m = RESULT.exec(rest))) {
    const tok: KtapToken = { kind: 'result', depth, ok: m[1] === 'ok', num: Number(m[2]), name: (m[3] ?? '').trim(), line, ...stamp };
    const d = m[4] !== undefined ? DIRECTIVE.exec(m[4].trim()) : null;
    if (d) {
      tok.directive = d[1]!.toUpperCase() as Directive;
      if (d[2]) tok.reason = d[2].trim();
    }
    return tok;
  }
  if ((m = /^Bail out!\s*(.*)$/.exec(rest))) return { kind: 'bailout', depth, reason: m[1]!, line, ...stamp };
  if (rest.startsWith('#')) return { kind: 'diag', depth, text: rest.replace(/^#\s?/, ''), line, ...stamp };
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
