/**
 * Reads a kernel console for the signs that a run went wrong: panic, Oops, BUG, WARNING, KASAN, hung tasks
 * and RCU stalls. Pure: feed it text, ask for findings. Each finding keeps an excerpt: the report from its
 * first line to the kernel's "end trace" marker (or a bounded number of lines).
 */
export type FindingKind =
  | 'panic'
  | 'oops'
  | 'bug'
  | 'warning'
  | 'kasan'
  | 'hung-task'
  | 'rcu-stall'
  | 'soft-lockup'
  | 'gpf'
  | 'flood';

export interface ConsoleFinding {
  kind: FindingKind;
  /** 1-based line in the console log where it starts. */
  line: number;
  /** The line that matched, without the printk timestamp. */
  title: string;
  excerpt: string;
}

/**
 * Pure: `parts` appear in `text` in this order (each after the end of the one before). Linear: one
 * indexOf each, where a pattern like /WARNING: .* at .*\+0x/ backtracks quadratically on a hostile line.
 */
export function inOrder(text: string, ...parts: string[]): boolean {
  let at = 0;
  for (const p of parts) {
    const i = text.indexOf(p, at);
    if (i < 0) return false;
    at = i + p.length;
  }
  return true;
}

/**
 * Ordered: the first that matches a line names it (KASAN before the generic BUG). Literals, or patterns
 * with no two unbounded repeats that can trade characters: a guest's line is input, and must cost time
 * linear in its length.
 */
const PATTERNS: ReadonlyArray<[FindingKind, RegExp | ((s: string) => boolean)]> = [
  ['kasan', /BUG: KASAN: /],
  ['kasan', /BUG: KFENCE: /],
  ['panic', /Kernel panic - not syncing/],
  ['soft-lockup', /BUG: soft lockup/],
  ['bug', /BUG: |kernel BUG at /],
  ['oops', /\bOops: |Oops\[#/],
  ['gpf', /general protection fault/],
  ['warning', /WARNING: CPU: \d+ PID: \d+ at /],
  ['warning', (s) => inOrder(s, 'WARNING: ', ' at ', '+0x')],
  [
    'hung-task',
    (s) => inOrder(s, 'INFO: task ', ' blocked for more than ') && /blocked for more than \d{1,12} seconds/.test(s),
  ],
  ['rcu-stall', /INFO: rcu_\w{1,32} (?:self-)?detected stalls?/],
];

const END_MARKERS = /---\[ end (trace|Kernel panic)|^=+$/;
const MAX_EXCERPT_LINES = 200;
/** Bounds that keep the watcher's memory fixed whatever the guest prints. */
const MAX_LINE_CHARS = 64 * 1024;
const MAX_FINDINGS = 200;
// One way to match any prefix: (two \s* around an optional part traded blanks quadratically).
const TIMESTAMP = /^\s*(?:<\d+>\s*)?\[\s*\d+\.\d+\]\s?/;

export function stripPrintkPrefix(line: string): string {
  return line.replace(TIMESTAMP, '');
}

export class ConsoleWatcher {
  private partial = '';
  private lines: string[] = [];
  private open: { finding: ConsoleFinding; body: string[] } | undefined;
  readonly findings: ConsoleFinding[] = [];
  /** Findings past MAX_FINDINGS: counted, not kept. */
  droppedFindings = 0;

  /** Feeds more console text (any chunking). */
  push(text: string): ConsoleFinding[] {
    const data = this.partial + text.replace(/\r/g, '');
    const parts = data.split('\n');
    this.partial = parts.pop() ?? '';
    // A line with no end in sight is taken as it stands, in pieces: the watcher's memory stays bounded.
    while (this.partial.length > MAX_LINE_CHARS) {
      parts.push(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
    const fresh: ConsoleFinding[] = [];
    for (const raw of parts) {
      const f = this.line(raw);
      if (f) fresh.push(f);
    }
    return fresh;
  }

  /** Flushes a last unterminated line and closes any open excerpt. */
  end(): ConsoleFinding[] {
    const fresh: ConsoleFinding[] = [];
    if (this.partial) {
      const f = this.line(this.partial);
      if (f) fresh.push(f);
      this.partial = '';
    }
    this.close();
    return fresh;
  }

  /** The last n lines seen, for error messages. */
  tail(n = 30): string {
    return [...this.lines.slice(-n), ...(this.partial ? [this.partial] : [])].join('\n');
  }

  private line(raw: string): ConsoleFinding | undefined {
    this.lines.push(raw);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000);
    const text = stripPrintkPrefix(raw);
    const lineNo = ++this.lineCount;
    const kind = PATTERNS.find(([, m]) => (typeof m === 'function' ? m(text) : m.test(text)))?.[0];
    if (this.open) {
      // A new finding inside an open excerpt belongs to it (an Oops after "BUG: unable to handle"),
      // unless it is of a worse kind we would otherwise lose (a panic after a WARNING).
      this.open.body.push(text.slice(0, 2000));
      const done = END_MARKERS.test(text) && this.open.body.length > 1;
      if (done || this.open.body.length >= MAX_EXCERPT_LINES) this.close();
      if (kind !== 'panic' || this.findings.some((f) => f.kind === 'panic')) return undefined;
      this.close();
    }
    if (!kind) return undefined;
    if (this.findings.length >= MAX_FINDINGS) {
      this.droppedFindings++;
      return undefined;
    }
    const finding: ConsoleFinding = { kind, line: lineNo, title: text.trim().slice(0, 1000), excerpt: text };
    this.findings.push(finding);
    this.open = { finding, body: [text.slice(0, 2000)] };
    return finding;
  }

  private lineCount = 0;

  /** A finding the lab makes itself (a console flood), kept like the kernel's. */
  note(kind: FindingKind, title: string): ConsoleFinding {
    const finding: ConsoleFinding = { kind, line: this.lineCount, title, excerpt: title };
    this.findings.push(finding);
    return finding;
  }

  private close(): void {
    if (!this.open) return;
    this.open.finding.excerpt = this.open.body.join('\n');
    this.open = undefined;
  }
}

/** Pure one-shot form: all findings of a whole console log. */
export function scanConsole(text: string): ConsoleFinding[] {
  const w = new ConsoleWatcher();
  w.push(text);
  w.end();
  return w.findings;
}
