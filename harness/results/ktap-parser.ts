import { rollUp, type TestStatus } from './model.js';
import { tokenizeLine, type Directive, type KtapToken } from './ktap-lines.js';

/** A test in a KTAP/TAP result tree: a leaf case, or a suite with children. */
export interface KtapTest {
  name: string;
  num?: number;
  status: TestStatus;
  directive?: Directive;
  reason?: string;
  /** Planned children (1..N). */
  plan?: number;
  children: KtapTest[];
  /** Diagnostic and other lines printed while this test ran (before its result line). */
  log: string[];
  durationMs?: number;
  /** 1-based line of its result line in the input. */
  line?: number;
}

interface Open {
  test: KtapTest;
  /** Its place in the stack (the root is 0). */
  depth: number;
  /** The indentation column of the lines inside it. */
  col: number;
  /** Log lines since the last result in this container: they belong to the next leaf. */
  pending: string[];
  lastTs?: number;
  /** Timestamp of the line that opened it, for its duration. */
  startTs?: number;
  /** For the root: where the current KTAP run's numbering starts (a loaded test module starts a new run). */
  segmentStart: number;
  /** The highest test number among its children since segmentStart (kept as they come: no rescans). */
  maxNum: number;
}

/** Deepest nesting read: KUnit and kselftest use three or four levels; deeper is not a test run's output. */
export const MAX_KTAP_DEPTH = 64;
/** Planned tests that never reported, listed one by one up to this many; past it, one MISS says how many. */
export const MAX_MISS_LISTED = 1000;

function statusOf(tok: Extract<KtapToken, { kind: 'result' }>): { status: TestStatus; reason?: string } {
  switch (tok.directive) {
    case 'SKIP':
      return { status: 'SKIP', reason: tok.reason };
    case 'TODO':
    case 'XFAIL':
      return { status: 'DONE', reason: `${tok.directive}${tok.reason ? `: ${tok.reason}` : ''}` };
    case 'TIMEOUT':
    case 'ERROR':
      return { status: 'ERROR', reason: `${tok.directive}${tok.reason ? `: ${tok.reason}` : ''}` };
    default:
      return { status: tok.ok ? 'PASS' : 'FAIL' };
  }
}

/**
 * Parses KTAP v1 (KUnit) and TAP 13/14 (kselftest) out of a console log or a results file: nested
 * subtests by indentation or "# " prefixes, "# Subtest:" headers, plans, directives, diagnostics, kernel
 * log prefixes, interleaved console noise. A test that never reported is MISS; a suite whose result line
 * never came (the kernel crashed, the output was cut) is ERROR. Nothing unreported is ever PASS.
 * Fail-closed: a "Bail out!" is an ERROR result where it stands; so is a line that starts like a result or
 * a plan and does not parse, and nesting deeper than MAX_KTAP_DEPTH. Lines end at LF, CRLF or a lone CR
 * (a CR-only stream read as one line would hide its "not ok" inside a name).
 * Linear in the input: one pass, a level found by binary search over the open tests' columns, no
 * rescans; a plan of 2^53 tests adds one MISS entry, not 2^53. Pure: text in, tree out.
 */
export function parseKtap(text: string): KtapTest {
  const root: KtapTest = { name: '', status: 'SKIP', children: [], log: [] };
  const stack: Open[] = [{ test: root, depth: 0, col: 0, pending: [], segmentStart: 0, maxNum: 0 }];
  let tooDeep = false;
  let started = false;
  const top = () => stack[stack.length - 1]!;
  /**
   * The nesting level of a line at `col`: that of the open test whose lines stand there, or one deeper
   * than the innermost open test it is indented past. Levels come from the columns actually seen, so any
   * consistent indentation nests (KUnit has used 4 and 2 spaces), as ktap.rst allows.
   */
  const levelOf = (col: number): number => {
    // The open tests' columns rise strictly from the root up: the innermost with a column <= col, by
    // binary search (a linear walk made 100,000 nested levels quadratic).
    let lo = 0;
    let hi = stack.length - 1;
    if (col < stack[0]!.col) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (stack[mid]!.col <= col) lo = mid;
      else hi = mid - 1;
    }
    return stack[lo]!.col === col ? lo : lo + 1;
  };
  const noteNum = (o: Open, num: number | undefined) => {
    if (num !== undefined && num > o.maxNum) o.maxNum = num;
  };

  const open = (depth: number, col: number, name = '', ts?: number) => {
    const parent = top();
    const t: KtapTest = { name, status: 'ERROR', children: [], log: [...parent.pending] };
    parent.pending = [];
    parent.test.children.push(t);
    stack.push({
      test: t,
      depth,
      col,
      pending: [],
      ...(ts !== undefined ? { lastTs: ts, startTs: ts } : {}),
      segmentStart: 0,
      maxNum: 0,
    });
  };
  /** Closes the container on top; without a result line it is a crash. */
  const close = (result?: Extract<KtapToken, { kind: 'result' }>) => {
    const o = stack.pop()!;
    finishPlan(o);
    o.test.log.push(...o.pending);
    if (result) {
      const s = statusOf(result);
      o.test.num = result.num;
      if (!o.test.name) o.test.name = result.name;
      // A suite's own verdict never hides a child's failure: a suite "ok … # SKIP" whose case failed is
      // a FAIL (found by the property test). TODO/XFAIL (DONE) excuse theirs; ERROR stays ERROR.
      o.test.status =
        s.status === 'PASS' || s.status === 'FAIL'
          ? worst(s.status, o.test.children)
          : s.status === 'SKIP'
            ? skippedUnlessFailed(o.test.children)
            : s.status;
      if (s.reason) o.test.reason = s.reason;
      if (result.directive) o.test.directive = result.directive;
      o.test.line = result.line;
      if (result.ts !== undefined && o.startTs !== undefined)
        o.test.durationMs = Math.round((result.ts - o.startTs) * 1000);
      noteNum(top(), o.test.num);
    } else {
      // It stands in its parent's plan where its result line would have been.
      const parent = top();
      o.test.num = parent.maxNum + 1;
      o.test.status = 'ERROR';
      o.test.reason = 'no result line: the output ended before this test reported (crash, panic or timeout?)';
      if (!o.test.name) o.test.name = '(unnamed)';
      noteNum(parent, o.test.num);
    }
  };
  /** An ERROR result where the stream stands: what the reader could not take as anything but a failure. */
  const errorHere = (name: string, reason: string, line: number) => {
    const c = top();
    c.test.children.push({ name, status: 'ERROR', reason, children: [], log: c.pending, line });
    c.pending = [];
  };

  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const tok = tokenizeLine(raw, i + 1);
    if (!started) {
      if (tok.kind === 'version' || ((tok.kind === 'result' || tok.kind === 'plan') && tok.col === 0)) {
        started = true;
        stack[0]!.col = tok.col;
      } else return;
    }
    const depth = tok.kind === 'other' ? 0 : levelOf(tok.col);
    if (depth > MAX_KTAP_DEPTH && tok.kind !== 'other' && tok.kind !== 'diag') {
      if (!tooDeep)
        errorHere(
          `line ${tok.line}`,
          `output nested more than ${MAX_KTAP_DEPTH} levels deep from here on: not read as results`,
          tok.line,
        );
      tooDeep = true;
      return;
    }
    switch (tok.kind) {
      case 'version': {
        while (top().depth > depth) close();
        if (depth === 0) {
          // A new run at the top (e.g. a KUnit test module loaded later): its numbering starts again.
          root.children.length > 0 && finishPlan(stack[0]!);
          stack[0]!.segmentStart = root.children.length;
          stack[0]!.maxNum = 0;
          delete root.plan;
        } else if (top().depth < depth) {
          open(depth, tok.col, '', tok.ts);
        }
        return;
      }
      case 'subtest': {
        while (top().depth > depth) close();
        const t = top();
        if (t.depth === depth && t.depth > 0 && !t.test.name && t.test.children.length === 0) t.test.name = tok.name;
        else open(depth, tok.col, tok.name, tok.ts);
        return;
      }
      case 'plan': {
        while (top().depth > depth) close();
        if (top().depth < depth) open(depth, tok.col, '', tok.ts);
        top().test.plan = tok.count;
        return;
      }
      case 'result': {
        while (top().depth > depth + 1) close();
        if (top().depth === depth + 1) {
          close(tok);
          if (tok.ts !== undefined) top().lastTs = tok.ts;
          return;
        }
        if (top().depth < depth) open(depth, tok.col, '', tok.ts);
        const c = top();
        const s = statusOf(tok);
        const leaf: KtapTest = {
          name: tok.name,
          num: tok.num,
          status: s.status,
          children: [],
          log: c.pending,
          line: tok.line,
          reason: s.reason,
          directive: tok.directive,
          ...(tok.ts !== undefined && c.lastTs !== undefined
            ? { durationMs: Math.round((tok.ts - c.lastTs) * 1000) }
            : {}),
        };
        c.pending = [];
        c.test.children.push(leaf);
        noteNum(c, tok.num);
        if (tok.ts !== undefined) c.lastTs = tok.ts;
        return;
      }
      case 'bailout': {
        while (stack.length > 1) {
          const o = top();
          o.pending.push(`Bail out! ${tok.reason}`);
          close();
        }
        // The run gave up: whatever reported before, it is not a pass.
        errorHere('Bail out!', `Bail out!${tok.reason ? ` ${tok.reason}` : ''} (line ${tok.line})`, tok.line);
        return;
      }
      case 'malformed': {
        while (top().depth > depth) close();
        errorHere(`line ${tok.line}`, `a result or plan line that does not parse: ${tok.text.slice(0, 120)}`, tok.line);
        return;
      }
      case 'diag':
      case 'other': {
        const t = top();
        if (tok.text.trim() === '') return;
        // KUnit's "# module: x" header describes the suite, not its first case.
        if (tok.kind === 'diag' && /^module: /.test(tok.text)) t.test.log.push(tok.text);
        else t.pending.push(tok.text);
        if (tok.ts !== undefined && t.lastTs === undefined) t.lastTs = tok.ts;
        if (tok.ts !== undefined && t.startTs === undefined) t.startTs = tok.ts;
        return;
      }
    }
  });
  while (stack.length > 1) close();
  finishPlan(stack[0]!);
  root.log.push(...stack[0]!.pending);
  root.status = root.children.length ? rollUp(root.children.map((c) => c.status)) : 'SKIP';
  return root;
}

/** Planned children that never reported become MISS, so a crash can never read as a pass. */
function finishPlan(o: Open): void {
  const plan = o.test.plan;
  if (plan === undefined) return;
  const seen = new Set(o.test.children.slice(o.segmentStart).map((c) => c.num));
  // Walks at most the reported tests plus MAX_MISS_LISTED numbers, whatever the plan says.
  let listed = 0;
  let n = 1;
  for (; n <= plan && listed < MAX_MISS_LISTED; n++) {
    if (seen.has(n)) continue;
    o.test.children.push({
      name: `#${n}`,
      num: n,
      status: 'MISS',
      reason: `planned as test ${n} of ${plan}, never reported`,
      children: [],
      log: [],
    });
    listed++;
  }
  if (n <= plan) {
    const later = [...seen].filter((x) => x !== undefined && x >= n).length;
    o.test.children.push({
      name: `#${n}..#${plan}`,
      status: 'MISS',
      reason: `${plan - n + 1 - later} more tests planned (of ${plan}), never reported`,
      children: [],
      log: [],
    });
  }
}

/** A skipped suite stays SKIP (passing cases before the skip included) unless a case failed, erred or went missing. */
function skippedUnlessFailed(children: readonly KtapTest[]): TestStatus {
  const bad = rollUp(children.map((c) => c.status).filter((x) => x === 'FAIL' || x === 'ERROR' || x === 'MISS'));
  return bad === 'SKIP' ? 'SKIP' : bad;
}

function worst(own: TestStatus, children: readonly KtapTest[]): TestStatus {
  const kids = children.map((c) => c.status).filter((s) => s !== 'SKIP');
  return rollUp([own, ...kids]);
}

export interface KtapCounts {
  total: number;
  PASS: number;
  FAIL: number;
  ERROR: number;
  MISS: number;
  SKIP: number;
  DONE: number;
}

/** Leaf counts (cases, not suites), as kunit.py prints them. */
export function countLeaves(t: KtapTest): KtapCounts {
  const c: KtapCounts = { total: 0, PASS: 0, FAIL: 0, ERROR: 0, MISS: 0, SKIP: 0, DONE: 0 };
  const walk = (x: KtapTest) => {
    if (x.children.length === 0) {
      c.total++;
      c[x.status]++;
    } else x.children.forEach(walk);
  };
  t.children.forEach(walk);
  return c;
}
