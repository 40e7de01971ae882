import { LabError } from '../util/errors.js';
import { sleep } from '../util/abort.js';
import type { RunSummary } from '../run/run-summary.js';
import { changedInputs, readStates, type WatchedInput } from './watch-inputs.js';

/** What `lab run --watch` needs from the rest of the lab: one run, and what to look at for the next. */
export interface WatchOps {
  /** One run of the suite (the kernel rebuilt through the artifact cache when its inputs changed). */
  run(): Promise<{ summary: RunSummary; code: number }>;
  /**
   * The inputs to watch now (read again after every run: the series file may name other patches). Never throws: a
   * series file that does not read is still watched itself.
   */
  inputs(): WatchedInput[];
  /** The previous run against this one, as `lab compare` prints it. */
  compare(before: RunSummary, after: RunSummary): string;
  /** How each input is read (a file's stat; replaced in tests). */
  readStates?: (inputs: readonly WatchedInput[]) => Map<string, string>;
  log(line: string): void;
  /** Between two looks at the inputs (default 500 ms). */
  pollMs?: number;
}

export interface WatchEnd {
  runs: number;
  /**
   * The exit code to give: the last finished run's when Ctrl-C came between runs, the interrupted run's when it came
   * during one; none when no run finished (the caller says interrupted).
   */
  code?: number;
}

/**
 * Runs the suite, then waits for a change of its kernel's inputs and runs it again, printing what changed against the
 * previous run, until Ctrl-C (the lab's abort signal: a run under way stops cleanly, its partial report written). A
 * change is acted on once the inputs have held still for one poll (an editor or `git rebase` writes in bursts). A run
 * that cannot start (a patch that no longer applies, a broken series file) is said and the watch goes on: the next
 * save may fix it.
 */
export async function watchRuns(ops: WatchOps): Promise<WatchEnd> {
  const pollMs = ops.pollMs ?? 500;
  const read = ops.readStates ?? readStates;
  let last: { summary: RunSummary; code: number } | undefined;
  let runs = 0;
  for (;;) {
    // The inputs are read before the run: a save during a long build is a change for the next round.
    let inputs = ops.inputs();
    const states = read(inputs);
    runs++;
    let now: { summary: RunSummary; code: number } | undefined;
    try {
      now = await ops.run();
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
      if (e.outcome === 'interrupted') return { runs, ...(last ? { code: last.code } : {}) };
      ops.log(`lab: ${e.message}${e.details ? `\n${e.details}` : ''}`);
    }
    if (now?.summary.outcome === 'interrupted') return { runs, code: now.code };
    if (now && last) ops.log(ops.compare(last.summary, now.summary));
    if (now) last = now;
    inputs = ops.inputs();
    ops.log(`watching ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${kinds(inputs)}); Ctrl-C ends`);
    try {
      const changed = await untilChanged(inputs, states, read, pollMs);
      ops.log(`changed: ${changed.map((c) => `${c.path} (${c.what})`).join(', ')}`);
    } catch (e) {
      if (e instanceof LabError && e.outcome === 'interrupted') return { runs, ...(last ? { code: last.code } : {}) };
      throw e;
    }
  }
}

/** Polls until some input differs from `since` and then holds still for one more poll; the inputs that changed. */
async function untilChanged(
  inputs: readonly WatchedInput[],
  since: ReadonlyMap<string, string>,
  read: (inputs: readonly WatchedInput[]) => Map<string, string>,
  pollMs: number,
): Promise<WatchedInput[]> {
  for (;;) {
    await sleep(pollMs);
    const now = read(inputs);
    if (!changedInputs(inputs, since, now).length) continue;
    for (let settled = now; ; ) {
      await sleep(pollMs);
      const again = read(inputs);
      if (!changedInputs(inputs, settled, again).length) return changedInputs(inputs, since, again);
      settled = again;
    }
  }
}

/** Pure: the kinds of inputs, once each ("series file, patches, config fragments, tree refs"). */
function kinds(inputs: readonly WatchedInput[]): string {
  const kind = (what: string) =>
    what.startsWith('config fragment ') ? 'config fragments' : /^tree .* refs$/.test(what) ? 'tree refs' : what;
  return [...new Set(inputs.map((i) => kind(i.what)))].join(', ');
}
