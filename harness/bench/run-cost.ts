import type { RunSummary } from '../run/run-summary.js';
import type { TimelineEntry } from '../util/timeline.js';

/** One line of where a run's wall time went. */
export interface CostItem {
  item: string;
  /** How many of it (the suite's round trips). */
  count?: number;
  seconds: number;
  /**
   * The lab's own work (what a raw QEMU boot of the same files does not do), as opposed to the kernel's boot,
   * QEMU's start and the suite's own waits. Informative: the bench's measure of the lab's cost is the
   * difference of whole runs.
   */
  own: boolean;
}

/**
 * Pure: a run's wall time split into the lab's own work and the work any boot does, from its summary's
 * timeline (ms since the lab process started) and the guest's console (uptimes init printed). `wallSeconds`
 * is the lab process's whole life as the caller measured it; what follows the report mark is writing the
 * report and exiting.
 */
export function itemiseRun(summary: RunSummary, wallSeconds: number, consoleText: string): CostItem[] {
  const t = summary.timeline ?? [];
  const at = (what: string) => t.find((e) => e.what === what)?.atMs;
  const items: CostItem[] = [];
  const add = (item: string, ms: number | undefined, own: boolean, count?: number) => {
    if (ms !== undefined && Number.isFinite(ms))
      items.push({ item, seconds: Math.round(ms) / 1000, own, ...(count === undefined ? {} : { count }) });
  };
  const run = at('run');
  const spawned = at('qemu-spawned');
  const ready = at('ready-seen');
  const report = at('report');
  add('node and the CLI, to the run', run, true);
  if (run !== undefined && spawned !== undefined)
    add('stages before QEMU (setup, kernel, image…)', spawned - run, true);
  const { initAt, readyAt } = guestUptimes(consoleText);
  if (spawned !== undefined && ready !== undefined && initAt !== undefined && readyAt !== undefined) {
    add('kernel boot to /init (guest clock)', initAt * 1000, false);
    add("init's work to LAB-READY (guest clock)", (readyAt - initAt) * 1000, true);
    add('QEMU start and seeing LAB-READY', ready - spawned - readyAt * 1000, false);
  } else if (spawned !== undefined && ready !== undefined) add('QEMU and the boot to ready', ready - spawned, false);
  add('ssh connect', stage(t, 'ssh'), true);
  const suite = t.find((e) => e.what === 'stage:suite');
  const suiteMs = suite?.ms;
  if (suite && suiteMs !== undefined) {
    // The suite's own round trips: those inside its stage (a restored guest's clock setting and the
    // poweroff are round trips too, counted in their stages).
    const execs = t.filter((e) => e.what === 'exec' && e.atMs >= suite.atMs && e.atMs < suite.atMs + suiteMs);
    const execMs = execs.reduce((s, e) => s + (e.ms ?? 0), 0);
    add('suite: its round trips into the guest', execMs, true, execs.length);
    add('suite: the rest (its waits, host-side work)', suiteMs - execMs, false);
  }
  add('shutdown', stage(t, 'shutdown'), false);
  if (report !== undefined) add('report and exit', wallSeconds * 1000 - report, true);
  return items;
}

function stage(t: readonly TimelineEntry[], name: string): number | undefined {
  return t.find((e) => e.what === `stage:${name}`)?.ms;
}

/** Pure: the guest-clock seconds at which the kernel ran /init and init printed LAB-READY. */
export function guestUptimes(consoleText: string): { initAt?: number; readyAt?: number } {
  const init = /\[\s*(\d+\.\d+)\] Run \/init as init process/.exec(consoleText);
  const ready = /LAB-READY \S+ uptime=(\d+(?:\.\d+)?)/.exec(consoleText);
  return {
    ...(init ? { initAt: Number(init[1]) } : {}),
    ...(ready ? { readyAt: Number(ready[1]) } : {}),
  };
}
