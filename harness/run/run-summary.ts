import type { ConsoleFinding } from '../results/console-watcher.js';
import type { TestRecord, TestStatus } from '../results/model.js';
import type { HostCapabilities } from '../local-host/capabilities.js';
import type { Outcome } from '../util/outcome.js';
import type { SnapshotFacts } from './snapshot-stage.js';
import type { TimelineEntry } from '../util/timeline.js';

export interface StageTiming {
  stage: string;
  seconds: number;
  note?: string;
}

/** Everything a run leaves behind in summary.json; the other report files are rendered from it. */
export interface RunSummary {
  runId: string;
  suite: string;
  status: TestStatus;
  /** What happened, by name (cli/exit-codes.ts gives its exit code). */
  outcome: Outcome;
  startedAt: string;
  finishedAt: string;
  /** A run-level error (boot failure, missing tool), when the run did not get to finish its tests. */
  error?: { message: string; details?: string };
  kernel?: {
    release: string;
    source: string;
    vmlinuz: string;
    configPath: string;
    configSha: string;
    buildId?: string;
    series?: string;
  };
  guest?: {
    name: string;
    accel?: string;
    accelReason?: string;
    argv?: string[];
    domainXml?: string;
    host?: string;
    cmdline?: string;
    shutdown?: string;
  };
  image?: { path: string; key: string; cached: boolean; rootfs?: { path: string; key: string; cached: boolean } };
  /** DAMON's in-kernel users the kernel has, and those the run kept off for the suite (damon_exclusive). */
  damon?: {
    inKernelUsers: Array<{ name: string; built: string; enabledAtBoot: boolean }>;
    keptOff: string[];
    /** What the kernel's DAMON sysfs offered, when the suite probed it. */
    probe?: {
      availOperations: string[];
      features: Record<string, boolean>;
      goalMetrics: string[];
      goalTuners: string[];
      probeFilterTypes: string[];
      activeInKernelUsers: string[];
    };
  };
  /** The host directory the guest saw at the same path (`--share`), how, and whether it could write. */
  share?: { dir: string; writable: boolean; fs: 'virtiofs' | '9p' };
  /** The guest's memory in use after the suite (MemTotal - MemAvailable), when the run measured it (lab ab). */
  guestMemUsedMiB?: number;
  /** Whether the guest was started from a saved booted guest, or saved for later runs (and why not). */
  snapshot?: SnapshotFacts;
  /** Host capabilities the run saw (vendor, PMUs, KVM parameters). */
  host?: HostCapabilities;
  stages: StageTiming[];
  /** Where the run's wall time went, in ms since the lab process started (stages, QEMU's start, each round trip). */
  timeline?: TimelineEntry[];
  tests: TestRecord[];
  counts: Record<TestStatus, number>;
  /** SVG figures made at report time (region heatmaps, convergence curves), shown in report.html. */
  plots?: Array<{ title: string; svg: string }>;
  /** bytes: the console's full size; cutBytes: what the report's copy left out (a flooded console). */
  console: { findings: ConsoleFinding[]; log: string; bytes?: number; cutBytes?: number };
}

export function countStatuses(tests: readonly TestRecord[]): Record<TestStatus, number> {
  const c: Record<TestStatus, number> = { FAIL: 0, ERROR: 0, MISS: 0, PASS: 0, DONE: 0, SKIP: 0 };
  for (const t of tests) c[t.status]++;
  return c;
}
