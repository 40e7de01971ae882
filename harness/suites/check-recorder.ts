import type { LabError } from '../util/errors.js';
import { clipExcerpt, type Metric, type TestRecord, type TestStatus } from '../results/model.js';

/** Thrown inside a check to mark it SKIP with a reason. */
export class SkipCheck extends Error {}

/** Thrown inside a check that measured something and failed its thresholds: FAIL, with the measurement's metrics. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly metrics: Metric[],
  ) {
    super(message);
  }
}

/**
 * Records a scenario's checks as test points. Checks form a chain: once one fails, the rest of the chain
 * is not attempted and is recorded as ERROR naming the failed check, so no check reads as PASS on top of
 * a broken premise. always() checks (cleanup, stop) run regardless.
 */
export class CheckRecorder {
  readonly records: TestRecord[] = [];
  private broken: string | undefined;
  private guestLoss: (() => Promise<LabError | undefined>) | undefined;
  private lost: LabError | undefined;

  constructor(
    private readonly suite: string,
    private readonly onRecord: (r: TestRecord) => void = () => {},
  ) {}

  /**
   * Asked whenever a check fails: the guest's loss to the infrastructure (QEMU killed, SSH dropped), if
   * that is what happened. Such a failure is the host's, not the kernel's: the check is ERROR with the
   * cause, the loss is thrown to end the scenario (the run exits 3), and any later check is ERROR.
   */
  watchGuest(loss: () => Promise<LabError | undefined>): void {
    this.guestLoss = loss;
  }

  /** Runs fn as the next check of the chain; returns its value, or undefined when it did not pass. */
  async check<T>(name: string, fn: () => Promise<T>, metrics?: (v: T) => Metric[]): Promise<T | undefined> {
    if (this.lost) return this.notRun(name, this.lost.message);
    if (this.broken) {
      this.add(name, 'ERROR', 0, `not run: '${this.broken}' did not pass`);
      return undefined;
    }
    return this.attempt(name, fn, metrics, true);
  }

  /** Runs fn whatever happened before (e.g. stopping the kdamond, or an independent measurement). */
  async always<T>(name: string, fn: () => Promise<T>, metrics?: (v: T) => Metric[]): Promise<T | undefined> {
    if (this.lost) return this.notRun(name, this.lost.message);
    return this.attempt(name, fn, metrics, false);
  }

  private notRun(name: string, why: string): undefined {
    this.add(name, 'ERROR', 0, `not run: ${why.split('\n')[0]}`);
    return undefined;
  }

  /** Adds records parsed from test output (KUnit, kselftest), as they are. */
  addRecords(records: readonly TestRecord[]): void {
    for (const r of records) {
      this.records.push(r);
      this.onRecord(r);
    }
  }

  /** Marks every named check SKIP with a reason (requirements not met). */
  skipAll(names: readonly string[], reason: string): void {
    for (const n of names) this.add(n, 'SKIP', 0, reason);
  }

  get chainBroken(): boolean {
    return this.broken !== undefined;
  }

  private async attempt<T>(
    name: string,
    fn: () => Promise<T>,
    metrics: ((v: T) => Metric[]) | undefined,
    chained: boolean,
  ): Promise<T | undefined> {
    const t0 = performance.now();
    try {
      const v = await fn();
      this.add(name, 'PASS', performance.now() - t0, undefined, undefined, metrics?.(v));
      return v;
    } catch (e) {
      const ms = performance.now() - t0;
      if (e instanceof SkipCheck) {
        this.add(name, 'SKIP', ms, e.message);
        return undefined;
      }
      const err = e as Error;
      // An interrupted run is not a test failure: let it propagate so the run reports the interruption.
      if (err.name === 'InterruptedError') throw e;
      const loss = await this.guestLoss?.();
      if (loss) {
        this.lost = loss;
        this.add(
          name,
          'ERROR',
          ms,
          loss.message,
          [loss.message, loss.details, `(the check saw: ${err.message})`].filter(Boolean).join('\n'),
        );
        throw loss;
      }
      const infra = err.name === 'InfraError';
      this.add(
        name,
        infra ? 'ERROR' : 'FAIL',
        ms,
        err.message.split('\n')[0],
        err.message,
        e instanceof CheckFailure ? e.metrics : undefined,
      );
      if (chained) this.broken = name;
      return undefined;
    }
  }

  private add(
    name: string,
    status: TestStatus,
    durationMs: number,
    reason?: string,
    log?: string,
    metrics?: Metric[],
  ): void {
    const rec: TestRecord = {
      path: `${this.suite}.${name}`,
      name,
      status,
      durationMs: Math.round(durationMs),
      ...(reason ? { reason } : {}),
      ...(log ? { log: clipExcerpt(log) } : {}),
      ...(metrics?.length ? { metrics } : {}),
    };
    this.records.push(rec);
    this.onRecord(rec);
  }
}
