// What `lab matrix` records in summary.json (its own file: the runner and the report writer import it, not each other).
import type { RunSummary } from '../run/run-summary.js';
import type { Outcome } from '../util/outcome.js';
import type { CellAgainstBaseline } from '../compare/compare-kernels.js';

/** How one run of a cell ended (after its attempts): a cell that runs once is this and more. */
export interface CellRun {
  status: RunSummary['status'] | 'TIMEOUT' | 'NOT-RUN';
  /** What the run said happened (its result file); none when it never ran or gave none. */
  outcome?: Outcome;
  attempts: number;
  seconds: number;
  /** The run's report, relative to the matrix report folder. */
  report?: string;
  /** Which run of its cell (1..runs), for a cell that runs several times. */
  run?: number;
  counts?: RunSummary['counts'];
  reason?: string;
}

/** A cell: with several runs, its fields of CellRun are its worst run's (with attempts and seconds summed). */
export interface CellResult extends CellRun {
  id: string;
  kernel: string;
  guest: string;
  suite: string;
  /** Against a baseline (kernel or matrix run): tests that fail now and did not before; set, maybe empty, on every
   * cell that was compared, absent on one that was not. */
  newFailures?: string[];
  /** Each run of a cell that runs several times; the cell's status, report and reason are its worst run's. */
  runs?: CellRun[];
  /** Metrics that regressed against the baseline by the A/B test (several runs a side), one line each. */
  metricRegressions?: string[];
  /** The libvirt host the cell ran on (matrices with hosts:). */
  host?: string;
}

export interface KernelResult {
  id: string;
  ok: boolean;
  cached?: boolean;
  seconds: number;
  release?: string;
  seriesFile?: string;
  artifactDir?: string;
  error?: string;
}

export interface MatrixSummary {
  matrixRunId: string;
  name: string;
  file: string;
  startedAt: string;
  finishedAt: string;
  pool: { limit: number; reason: string };
  kernels: KernelResult[];
  cells: CellResult[];
  baseline?: string;
  /** The kernel of this matrix the others were compared with (spec baseline:, or --baseline naming a kernel). */
  baselineKernel?: string;
  /** Each other kernel's cells against the baseline kernel's. */
  againstBaseline?: CellAgainstBaseline[];
  /** Each cell against the same cell of the baseline matrix run (--baseline RUN). */
  againstRun?: CellAgainstBaseline[];
  /** The threshold of the metric tests, percent. */
  threshold?: number;
  interrupted?: boolean;
  /** The libvirt hosts and what their probes found (matrices with hosts:). */
  hosts?: Array<{ name: string; uri: string; accel?: string; accelReason?: string; vendor?: string; error?: string }>;
}
