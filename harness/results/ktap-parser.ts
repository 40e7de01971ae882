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
}

function statusOf(tok: Extract<KtapToken, { kind: 'result' }>): { status: TestStatus; reason?: string } {
  switch (tok.directive) {
    case 'SKIP':
      return { status: 'SKIP', ...(tok.reason ? { reason: tok.reason } : {}) };
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
 * Pure: text in, tree out.
 */
export function parseKtap(text: string): KtapTest {
  const root: KtapTest = { name: '', status: 'SKIP', children: [], log: [] };
  const stack: Open[] = [{ test: root, depth: 0, col: 0, pending: [], segmentStart: 0 }];
  let started = false;
  const top = () => stack[stack.length - 1]!;
  /**
   * The nesting level of a line at `col`: that of the open test whose lines stand there, or one deeper
   * than the innermost open test it is indented past. Levels come from the columns actually seen, so any
   * consistent indentation nests (KUnit has used 4 and 2 spaces), as ktap.rst allows.
   */
  const levelOf = (col: number): number => {
    for (let i = stack.length - 1; i >= 0; i--) {
      const c = stack[i]!.col;
      if (c === col) return i;
      if (c < col) return i + 1;
    }
    return 0;
  };

  const open = (depth: number, col: number, name = '', ts?: number) => {
    const parent = top();
    const t: KtapTest = { name, status: 'ERROR', children: [], log: [...parent.pending] };
    parent.pending = [];
    parent.test.children.push(t);
    stack.push({ test: t, depth, col, pending: [], ...(ts !== undefined ? { lastTs: ts, startTs: ts } : {}), segmentStart: 0 });
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
      o.test.status = s.status === 'PASS' || s.status === 'FAIL' ? worst(s.status, o.test.children) : s.status;
      if (s.reason) o.test.reason = s.reason;
      if (result.directive) o.test.directive = result.directive;
      o.test.line = result.line;
      if (result.ts !== undefined && o.startTs !== undefined) o.test.durationMs = Math.round((result.ts - o.startTs) * 1000);
    } else {
      // It stands in its parent's plan where its result line would have been.
      const parent = top();
      const nums = parent.test.children.slice(parent.segmentStart).filter((c) => c !== o.test && c.num !== undefined).map((c) => c.num!);
      o.test.num = (nums.length ? Math.max(...nums) : 0) + 1;
      o.test.status = 'ERROR';
      o.test.reason = 'no result line: the output ended before this test reported (crash, panic or timeout?)';
      if (!o.test.name) o.test.name = '(unnamed)';
    }
  };

  text.split('\n').forEach((raw, i) => {
    const tok = tokenizeLine(raw, i + 1);
    if (!started) {
      if (tok.kind === 'version' || ((tok.kind === 'result' || tok.kind === 'plan') && tok.col === 0)) {
        started = true;
        stack[0]!.col = tok.col;
      } else return;
    }
    const depth = tok.kind === 'other' ? 0 : levelOf(tok.col);
    switch (tok.kind) {
      case 'version': {
        while (top().depth > depth) close();
        if (depth === 0) {
          // A new run at the top (e.g. a KUnit test module loaded later): its numbering starts again.
          root.children.length > 0 && finishPlan(stack[0]!);
          stack[0]!.segmentStart = root.children.length;
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
          name: tok.name, num: tok.num, status: s.status, children: [], log: c.pending, line: tok.line,
          ...(s.reason ? { reason: s.reason } : {}), ...(tok.directive ? { directive: tok.directive } : {}),
          ...(tok.ts !== undefined && c.lastTs !== undefined ? { durationMs: Math.round((tok.ts - c.lastTs) * 1000) } : {}),
        };
        c.pending = [];
        c.test.children.push(leaf);
        if (tok.ts !== undefined) c.lastTs = tok.ts;
        return;
      }
      case 'bailout': {
        while (stack.length > 1) {
          const o = top();
          o.pending.push(`Bail out! ${tok.reason}`);
          close();
        }
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
  for (let n = 1; n <= plan; n++) {
    if (!seen.has(n)) o.test.children.push({ name: `#${n}`, num: n, status: 'MISS', reason: `planned as test ${n} of ${plan}, never reported`, children: [], log: [] });
  }
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
