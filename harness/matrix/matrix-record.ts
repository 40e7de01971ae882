// What `lab matrix` records in summary.json (its own file: the runner and the report writer import it, not each other).
import type { RunSummary } from '../run/run-summary.js';
import type { Outcome } from '../util/outcome.js';
import type { CellAgainstBaseline } from '../compare/compare-kernels.js';

export interface CellResult {
  id: string;
  kernel: string;
  guest: string;
  suite: string;
  status: RunSummary['status'] | 'TIMEOUT' | 'NOT-RUN';
  /** What the cell's run said happened (its result file); none when it never ran or gave none. */
  outcome?: Outcome;
  attempts: number;
  seconds: number;
  /** The cell's run report, relative to the matrix report folder. */
  report?: string;
  counts?: RunSummary['counts'];
  reason?: string;
  /** Against a baseline matrix run: tests that fail now and did not before. */
  newFailures?: string[];
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
  interrupted?: boolean;
  /** The libvirt hosts and what their probes found (matrices with hosts:). */
  hosts?: Array<{ name: string; uri: string; accel?: string; accelReason?: string; vendor?: string; error?: string }>;
}
