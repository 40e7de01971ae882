import type { GuestSsh } from '../guest/ssh-session.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import type { SuiteSpec } from '../schema/suite.js';
import type { SeriesSpec } from '../schema/series.js';
import type { CheckRecorder } from './check-recorder.js';

/** What a scenario (suites/<name>.ts) gets: the guest, the kernel, its own spec, and a recorder for checks. */
export interface ScenarioContext {
  suite: SuiteSpec;
  kernel: KernelArtifact;
  /** The series the kernel was built from, when it was (its ops_module, say). */
  series?: SeriesSpec;
  ssh: GuestSsh;
  checks: CheckRecorder;
  log: (line: string) => void;
  /** The guest's console so far (built-in KUnit suites print their KTAP there at boot). */
  console: () => string;
  /** Keeps a file in the run's report folder (raw test output, samples), next to summary.json. */
  saveArtifact: (name: string, content: string) => void;
  /** Adds an SVG figure to report.html. */
  addPlot: (title: string, svg: string) => void;
}

/** A scenario module's default export. */
export interface Scenario {
  /** Names of every check, in order; used to mark all SKIP when requirements are not met. */
  checks: readonly string[];
  run(ctx: ScenarioContext): Promise<void>;
}
