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
  | {
      kind: 'result';
      col: number;
      ok: boolean;
      num: number;
      name: string;
      directive?: Directive;
      reason?: string;
      line: number;
      ts?: number;
    }
  | { kind: 'bailout'; col: number; reason: string; line: number; ts?: number }
  /** Starts like a result or a plan line and is neither: fail-closed, it counts as an error where it stands. */
  | { kind: 'malformed'; col: number; text: string; line: number; ts?: number }
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

/** "ok 3", "not ok 12": a result line's head; the rest is read by hand (see parseResult). */
const RESULT_HEAD = /^(ok|not ok)[ \t]+(\d+)(?=[ \t]|$)/;
/** Starts like a result or a plan: a line that does and does not parse is a result nobody can read. */
const LOOKS_LIKE_RESULT = /^(?:not[ \t]+)?ok(?:[ \t]|$)|^1\.\.(?!\d)/;
const VERSION = /^K?TAP version \d+\s*$/;
const PLAN = /^1\.\.(\d+)/;
const SUBTEST = /^# Subtest: (.*)$/;
const DIRECTIVE = /^(SKIP|TODO|XFAIL|TIMEOUT|ERROR)\b[:\s]*(.*)$/i;

/**
 * Pure: a result line's parts, or undefined. By hand, not by one regular expression: the expression
 * this replaces (an optional lazy name between optional blanks) took time quadratic in a run of blanks,
 * and a log line is input. Linear: one scan for the head, one indexOf for the "#".
 */
function parseResult(s: string): { ok: boolean; num: number; name: string; comment?: string } | undefined {
  const head = RESULT_HEAD.exec(s);
  if (!head) return undefined;
  let rest = s.slice(head[0].length);
  // "ok 1 - name": the dash belongs to the format, not to the name ("ok 1 -name" keeps it).
  const dash = /^[ \t]+-(?=[ \t]|$)/.exec(rest);
  if (dash) rest = rest.slice(dash[0].length);
  const hash = rest.indexOf('#');
  const name = (hash < 0 ? rest : rest.slice(0, hash)).trim();
  const num = Number(head[2]);
  if (!Number.isSafeInteger(num)) return undefined;
  return { ok: head[1] === 'ok', num, name, ...(hash < 0 ? {} : { comment: rest.slice(hash + 1).trim() }) };
}

function isTapLine(s: string): boolean {
  return parseResult(s) !== undefined || VERSION.test(s) || PLAN.test(s) || SUBTEST.test(s) || /^Bail out!/.test(s);
}

/** Longest line read as TAP: a longer one is kept as text (cut), never run through the line patterns. */
export const MAX_TAP_LINE = 64 * 1024;

export function tokenizeLine(raw: string, line: number): KtapToken {
  if (raw.length > MAX_TAP_LINE)
    return { kind: 'other', text: `${raw.slice(0, 200)}… (a line of ${raw.length} characters, cut)`, line };
  const { text, ts } = stripKernelPrefix(raw.replace(/\r$/, ''));
  const stamp = ts !== undefined ? { ts } : {};
  const expanded = text.replace(/\t/g, '    ');
  let rest = expanded.trimStart();
  let col = expanded.length - rest.length;
  // kselftest nests a test's own TAP behind "# " (once per level): strip them all when what they stand
  // in front of is a TAP line, none otherwise (a diagnostic that merely starts with "# # "). One pass.
  {
    let inner = rest;
    let innerCol = col;
    while (inner.startsWith('# ') && !SUBTEST.test(inner)) {
      const after = inner.slice(2);
      const trimmed = after.trimStart();
      innerCol += 2 + after.length - trimmed.length;
      inner = trimmed;
    }
    if (inner !== rest && isTapLine(inner)) {
      rest = inner;
      col = innerCol;
    }
  }
  let m: RegExpExecArray | null;
  if (VERSION.test(rest)) return { kind: 'version', col, line, ...stamp };
  if ((m = PLAN.exec(rest))) {
    const count = Number(m[1]);
    return Number.isSafeInteger(count)
      ? { kind: 'plan', col, count, line, ...stamp }
      : { kind: 'malformed', col, text: rest, line, ...stamp };
  }
  if ((m = SUBTEST.exec(rest))) return { kind: 'subtest', col, name: m[1]!.trim(), line, ...stamp };
  const r = parseResult(rest);
  if (r) {
    const tok: KtapToken = { kind: 'result', col, ok: r.ok, num: r.num, name: r.name, line, ...stamp };
    const d = r.comment !== undefined ? DIRECTIVE.exec(r.comment) : null;
    if (d) {
      tok.directive = d[1]!.toUpperCase() as Directive;
      if (d[2]) tok.reason = d[2].trim();
    }
    return tok;
  }
  if ((m = /^Bail out!\s*(.*)$/.exec(rest))) return { kind: 'bailout', col, reason: m[1]!, line, ...stamp };
  if (LOOKS_LIKE_RESULT.test(rest)) return { kind: 'malformed', col, text: rest, line, ...stamp };
  if (rest.startsWith('#')) return { kind: 'diag', col, text: rest.replace(/^#\s?/, ''), line, ...stamp };
  return { kind: 'other', text, line, ...stamp };
}
