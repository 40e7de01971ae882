/** One result model for every kind of test the lab runs (scenario checks now; KUnit and kselftest later). */
export type TestStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

/** Roll-up order: the worst status of the children is the parent's. */
export const STATUS_RANK: Readonly<Record<TestStatus, number>> = {
  FAIL: 5,
  ERROR: 4,
  MISS: 3,
  PASS: 2,
  DONE: 1,
  SKIP: 0,
};

export function rollUp(statuses: readonly TestStatus[]): TestStatus {
  let worst: TestStatus = 'SKIP';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return statuses.length ? worst : 'SKIP';
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
}

export interface TestRecord {
  /** Dotted path, e.g. "damon-smoke.kdamond_starts". */
  path: string;
  name: string;
  status: TestStatus;
  durationMs: number;
  /** Why it failed or was skipped, one line. */
  reason?: string;
  /** Log excerpt, at most MAX_EXCERPT bytes. */
  log?: string;
  metrics?: Metric[];
}

export const MAX_EXCERPT = 16 * 1024;

export function clipExcerpt(text: string): string {
  if (Buffer.byteLength(text) <= MAX_EXCERPT) return text;
  const buf = Buffer.from(text);
  return `[… ${buf.length - MAX_EXCERPT} bytes cut …]\n` + buf.subarray(buf.length - MAX_EXCERPT + 40).toString('utf8');
}
