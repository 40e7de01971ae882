/**
 * Where a lab process's wall time goes, for `npm run bench` to itemise the lab's own cost of a run: named marks
 * and spans in milliseconds since the process started (performance.now() counts from there), the guest's round
 * trips among them. In memory only, bounded; a run writes it into summary.json (`timeline`).
 */
export interface TimelineEntry {
  /** What happened: a stage, `qemu-spawned`, `ready-seen`, `exec` (one SSH round trip), `wait` (a suite's sleep). */
  what: string;
  /** Milliseconds since the process started, when it began. */
  atMs: number;
  /** How long it took, for spans. */
  ms?: number;
  /** A short description (the first words of a guest command). */
  note?: string;
}

/** A long soak makes thousands of round trips: past this many, spans are summed, not listed. */
const MAX_ENTRIES = 2000;

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  /** Spans past MAX_ENTRIES, summed per kind. */
  readonly overflow: Record<string, { count: number; ms: number }> = {};

  mark(what: string, note?: string): void {
    this.add({ what, atMs: round(performance.now()), ...(note ? { note } : {}) });
  }

  /** Records a span that began at `startMs` (a performance.now() value) and ends now. */
  span(what: string, startMs: number, note?: string): void {
    this.add({ what, atMs: round(startMs), ms: round(performance.now() - startMs), ...(note ? { note } : {}) });
  }

  /** Times a promise as a span, whether it settles or throws. */
  async time<T>(what: string, p: () => Promise<T>, note?: string): Promise<T> {
    const t0 = performance.now();
    try {
      return await p();
    } finally {
      this.span(what, t0, note);
    }
  }

  /** The entries from index `from` on: a run takes those made since it began (one process may make several runs). */
  since(from: number): TimelineEntry[] {
    return this.entries.slice(from);
  }

  private add(e: TimelineEntry): void {
    if (this.entries.length < MAX_ENTRIES) {
      this.entries.push(e);
      return;
    }
    const o = (this.overflow[e.what] ??= { count: 0, ms: 0 });
    o.count++;
    o.ms += e.ms ?? 0;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The process's timeline: one lab process runs one suite at a time (a matrix runs each cell as its own process). */
export const timeline = new Timeline();
