import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { loadExeca } from '../util/process.js';
import yaml from 'js-yaml';
import { artifactFromDir, buildKernel } from '../kbuild/build-kernel.js';
import { connectHost, findHost, loadLabConfig, probeHost, type HostConnection } from '../libvirt/host-connection.js';
import { placeCells, type Placement, type ProbedHost } from '../libvirt/placement.js';
import { debianDefaultKernel, debianKernel, debianKernelSpec, requireDebianKernel } from '../kernel/debian-kernel.js';
import { bootableKernel } from '../kernel/pvh-vmlinux.js';
import type { HostSpec } from '../schema/lab-config.js';
import { loadGuest, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { absoluteConfigs, absolutePatches } from '../bisect/step-series.js';
import { LabError, UsageError } from '../util/errors.js';
import { labAbort } from '../util/abort.js';
import { repoRoot, reportsRoot } from '../util/paths.js';
import { newRunId } from '../run/run-id.js';
import { isInfrastructure, type Outcome } from '../util/outcome.js';
import { readRunResult, type RunResultFile } from '../run/run-result-file.js';
import type { RunSummary } from '../run/run-summary.js';
import type { MatrixSpec } from '../schema/matrix.js';
import { planMatrix, poolLimit, type PlannedCell, type PlannedKernel } from './plan.js';
import { writeMatrixReport } from './matrix-report.js';
import type { CellResult, CellRun, KernelResult, MatrixSummary } from './matrix-record.js';

export type { CellResult, KernelResult, MatrixSummary } from './matrix-record.js';
import type { StatusChange } from '../compare/compare-runs.js';
import {
  baselinePairs,
  compareRunSets,
  metricRegressionLines,
  type CellAgainstBaseline,
} from '../compare/compare-kernels.js';

export interface MatrixRunOptions {
  spec: MatrixSpec;
  file: string;
  /** Guests at once; default from cores and free memory. */
  jobs?: number;
  /**
   * A kernel of the matrix to compare the others with, or a previous matrix run id (or folder) to compare each cell
   * with.
   */
  baseline?: string;
  /** Runs of every cell, over the matrix file's runs:. */
  runs?: number;
  /** A metric regression is one past this fraction (0.05: 5%) with its whole interval. */
  threshold?: number;
  tree?: string;
  /** Run only the cells of this kernel (a CI job per kernel). */
  kernel?: string;
  /** The lab config with the hosts inventory (for matrices with hosts:). */
  labConfig?: string;
  cache: string;
  log: (line: string) => void;
  /** How kernels are made ready and cells run (default: builds here, `lab run` children); swapped in tests. */
  ops?: MatrixOps;
}

/** One attempt at a cell, as the process that ran it handed it back. */
export interface CellAttempt {
  result: (RunResultFile & { summary?: RunSummary }) | undefined;
  timedOut: boolean;
  /** The child's output, for a cell that gave no result. */
  output: string;
}

/**
 * The matrix's side effects: make a kernel ready (fetch or build) and run one attempt of a cell. The
 * real ones build through the artifact cache and start `lab run` children (isolation: a crash of one
 * cell is not the matrix's); the orchestration (order, pool, retries, reports) is tested with fakes.
 */
export interface MatrixOps {
  prepareKernel(k: PlannedKernel, o: MatrixRunOptions, dir: string): Promise<KernelResult>;
  runCell(cell: PlannedCell, kernel: KernelResult | undefined, attempt: number, ctx: CellContext): Promise<CellAttempt>;
}

/** Where a cell attempt runs: its run number (1.. the cell's runs), the folder for reports, the host. */
export interface CellContext {
  run: number;
  cellsDir: string;
  running: Set<ResultPromise>;
  host?: HostSpec;
}

const labBin = () => join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');

/**
 * `lab matrix run`: builds each distinct kernel once (one build at a time: the machine has few cores),
 * then runs the cells as `lab run` child processes, as many at once as the pool allows. A cell that
 * fails or times out never stops the others; Ctrl-C stops every child (each stops its QEMU) and the
 * partial aggregate report is still written.
 */
export async function runMatrix(
  o: MatrixRunOptions,
): Promise<{ summary: MatrixSummary; dir: string; outcome: Outcome }> {
  const ops = o.ops ?? labMatrixOps(o);
  const full = planMatrix(o.spec);
  if (o.runs !== undefined) for (const c of full.cells) c.runs = o.runs;
  const plan =
    o.kernel === undefined
      ? full
      : {
          kernels: full.kernels.filter((k) => k.id === o.kernel),
          cells: full.cells.filter((c) => c.kernel === o.kernel),
        };
  if (!plan.cells.length)
    throw new UsageError(
      `--kernel ${o.kernel}: not a kernel of matrix ${o.spec.name} (${full.kernels.map((k) => k.id).join(', ')})`,
    );
  // Every name resolves before anything builds: a typo is exit 2, not a cell ERROR an hour later.
  for (const c of plan.cells) {
    loadSuite(c.suite);
    loadGuest(c.guest);
  }
  for (const k of plan.kernels) if (k.series) loadSeries(k.series);
  if (o.spec.hosts.length) {
    const { config, file } = loadLabConfig(o.labConfig);
    for (const n of o.spec.hosts) findHost(config, n, file);
  }

  // --baseline names a kernel of this matrix (compared within the run) or an earlier matrix run.
  const baselineKernel =
    o.baseline !== undefined && full.kernels.some((k) => k.id === o.baseline) ? o.baseline : o.spec.baseline;
  const baselineRun = o.baseline !== undefined && o.baseline !== baselineKernel ? o.baseline : undefined;
  if (
    baselineRun !== undefined &&
    !existsSync(join(baselineRun, 'summary.json')) &&
    !existsSync(join(reportsRoot(), baselineRun, 'summary.json'))
  ) {
    throw new UsageError(
      `--baseline ${baselineRun}: neither a kernel of matrix ${o.spec.name} (${full.kernels.map((k) => k.id).join(', ')}) nor a matrix run under ${reportsRoot()}`,
    );
  }

  const id = newRunId(`matrix-${o.spec.name}`);
  const dir = join(reportsRoot(), id);
  const cellsDir = join(dir, 'cells');
  mkdirSync(cellsDir, { recursive: true });
  const guestMiB = Math.max(...plan.cells.map((c) => loadGuest(c.guest).memory));
  const limit = poolLimit({
    cores: availableParallelism(),
    freeMiB: Math.floor(freemem() / 1048576),
    guestMiB,
    ...(o.jobs !== undefined ? { override: o.jobs } : {}),
  });
  const summary: MatrixSummary = {
    matrixRunId: id,
    name: o.spec.name,
    file: o.file,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    pool: {
      limit,
      reason:
        o.jobs !== undefined
          ? '--jobs'
          : `${availableParallelism()} cores, ${Math.floor(freemem() / 1048576)} MiB free, guests up to ${guestMiB} MiB`,
    },
    kernels: [],
    cells: plan.cells.map((c) => ({
      id: c.id,
      kernel: c.kernel,
      guest: c.guest,
      suite: c.suite,
      status: 'NOT-RUN',
      attempts: 0,
      seconds: 0,
    })),
    baseline: baselineRun,
    ...(baselineKernel ? { baselineKernel } : {}),
    threshold: Math.round((o.threshold ?? DEFAULT_THRESHOLD) * 1000) / 10,
  };
  const save = () => {
    summary.finishedAt = new Date().toISOString();
    writeMatrixReport(dir, summary, plan);
  };
  save();
  o.log(
    `matrix ${o.spec.name}: ${plan.kernels.length} kernel(s), ${plan.cells.length} cell(s), ${limit} guest(s) at once; report: ${dir}`,
  );

  // Builds, one at a time, each once.
  for (const k of plan.kernels) {
    if (labAbort.aborted) break;
    summary.kernels.push(await ops.prepareKernel(k, o, dir));
    save();
  }
  const kernelOf = new Map(summary.kernels.map((k) => [k.id, k]));

  // Cells, through the pool.
  const queue = plan.cells.filter((c) => {
    const k = kernelOf.get(c.kernel);
    if (k?.ok) return true;
    Object.assign(summary.cells.find((x) => x.id === c.id)!, {
      status: 'ERROR',
      outcome: 'build-failed',
      reason: `kernel ${c.kernel} did not build: ${k?.error?.split('\n')[0] ?? 'not built'}`,
    });
    return false;
  });
  // On libvirt hosts: each cell on a host that meets its requires:, each host with its own guest limit.
  const lanes: Array<{ host?: HostSpec; cells: PlannedCell[]; limit: number }> = [];
  if (o.spec.hosts.length && !labAbort.aborted) {
    const placed = await placeOnHosts(queue, o, summary, kernelOf);
    for (const [cellId, p] of placed.placement) {
      // Unmet requires: on every host is SKIP; with a host unreachable the cell could not be judged: ERROR.
      if ('skip' in p)
        Object.assign(
          summary.cells.find((x) => x.id === cellId)!,
          placed.unreachable
            ? { status: 'ERROR', outcome: 'infrastructure', reason: p.skip }
            : { status: 'SKIP', outcome: 'ok', reason: p.skip },
        );
    }
    for (const h of placed.hosts)
      lanes.push({
        host: h,
        cells: queue.filter((c) => (placed.placement.get(c.id) as { host?: string } | undefined)?.host === h.name),
        limit: h.max_guests,
      });
    save();
  } else {
    lanes.push({ cells: queue, limit });
  }
  const running = new Set<ResultPromise>();
  const stopAll = () => {
    for (const child of running) child.kill('SIGTERM');
  };
  labAbort.addEventListener('abort', stopAll, { once: true });
  try {
    await Promise.all(
      lanes.map((lane) =>
        pool(cellRuns(lane.cells), lane.limit, async ({ cell, run }) => {
          if (labAbort.aborted) return;
          const result = summary.cells.find((x) => x.id === cell.id)!;
          const one = await runCell(ops, cell, kernelOf.get(cell.kernel), {
            run,
            cellsDir,
            running,
            ...(lane.host ? { host: lane.host } : {}),
          });
          if (cell.runs > 1) {
            // Runs of one cell may overlap in the pool and end out of order: kept in run order.
            result.runs = [...(result.runs ?? []), { ...(one as CellRun), run }].sort((x, y) => x.run! - y.run!);
            for (const k of ['outcome', 'report', 'counts', 'reason'] as const) delete result[k];
            Object.assign(result, worstRun(result.runs));
          } else Object.assign(result, one);
          if (lane.host) result.host = lane.host.name;
          o.log(
            `  ${one.status!.padEnd(7)} ${cell.id}${cell.runs > 1 ? ` run ${run}/${cell.runs}` : ''}${lane.host ? ` on ${lane.host.name}` : ''} (${one.seconds!.toFixed(0)} s${one.attempts! > 1 ? `, ${one.attempts} attempts` : ''})${one.reason ? ` — ${one.reason}` : ''}`,
          );
          save();
        }),
      ),
    );
  } finally {
    labAbort.removeEventListener('abort', stopAll);
  }
  if (labAbort.aborted) summary.interrupted = true;
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  if (baselineRun) addBaseline(summary, baselineRun, dir, threshold);
  if (baselineKernel) addKernelBaseline(summary, baselineKernel, dir, threshold);
  save();
  const bad =
    summary.cells.some((c) => c.status !== 'PASS' && c.status !== 'SKIP' && c.status !== 'DONE') ||
    summary.cells.some((c) => (c.newFailures?.length ?? 0) > 0 || (c.metricRegressions?.length ?? 0) > 0);
  return { summary, dir, outcome: summary.interrupted ? 'interrupted' : bad ? 'test-failed' : 'ok' };
}

/** A metric regression by default: 5% worse with the whole interval, as `lab ab`. */
export const DEFAULT_THRESHOLD = 0.05;

/**
 * Pure: the cells' runs in the order they start: round-robin, every cell's first run, then every second run, so
 * the host's drift (a neighbour, thermal state) falls on every kernel alike, as `lab ab` interleaves A and B.
 */
export function cellRuns(cells: readonly PlannedCell[]): Array<{ cell: PlannedCell; run: number }> {
  const most = Math.max(0, ...cells.map((c) => c.runs));
  const out: Array<{ cell: PlannedCell; run: number }> = [];
  for (let run = 1; run <= most; run++) for (const cell of cells) if (cell.runs >= run) out.push({ cell, run });
  return out;
}

const CELL_RANK: Readonly<Record<CellResult['status'], number>> = {
  'NOT-RUN': -1,
  SKIP: 0,
  DONE: 1,
  PASS: 2,
  MISS: 3,
  ERROR: 4,
  TIMEOUT: 4.5,
  FAIL: 5,
};

/**
 * Pure: a cell with several runs, as its worst run: that run's status, outcome, report, counts and reason (the one to
 * look at first), with every run's attempts and seconds added up.
 */
export function worstRun(runs: readonly CellRun[]): Partial<CellResult> {
  let worst = runs[0]!;
  for (const r of runs) if (CELL_RANK[r.status] > CELL_RANK[worst.status]) worst = r;
  const { run: _run, ...fields } = worst;
  return {
    ...fields,
    attempts: runs.reduce((n, r) => n + r.attempts, 0),
    seconds: round(runs.reduce((n, r) => n + r.seconds, 0)),
  };
}

/** Runs `work` over `items` with at most `limit` at once, in order of the items. */
export async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** A kernel axis entry with extra fragments becomes a series file of its own in the matrix run folder. */
async function buildOne(k: PlannedKernel, o: MatrixRunOptions, dir: string): Promise<KernelResult> {
  const t0 = performance.now();
  if (k.debian) {
    // Fetched once here, before any cell, so cells never race to unpack the same kernel.
    o.log(`fetch ${k.id}`);
    try {
      const a = await debianKernel(o.cache, k.debian, { log: (l) => o.log(`    ${l}`) });
      return { id: k.id, ok: true, seconds: round((performance.now() - t0) / 1000), release: a.release };
    } catch (e) {
      return kernelFailed(k, t0, e);
    }
  }
  if (!k.series) return { id: k.id, ok: true, seconds: 0 };
  const base = loadSeries(k.series);
  let seriesFile = base.file;
  if (k.configs.length) {
    seriesFile = join(dir, 'kernels', `${k.id.replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`);
    mkdirSync(join(dir, 'kernels'), { recursive: true });
    // Extra fragments are named from kernel/configs/ or relative to the matrix file.
    const derived = {
      ...base.spec,
      name: `${base.spec.name}.${k.configs
        .map((c) =>
          c
            .replace(/^.*\//, '')
            .replace(/\.config$/, '')
            .replace(/[^a-z0-9]/g, ''),
        )
        .join('.')}`,
      configs: [...absoluteConfigs(base.spec.configs, base.file), ...absoluteConfigs(k.configs, o.file)],
      ...(base.spec.patches ? { patches: absolutePatches(base.spec.patches, base.file) } : {}),
    };
    writeFileSync(
      seriesFile,
      `# ${k.id}: series ${k.series} plus ${k.configs.join(', ')}, written by lab matrix run\n${yaml.dump(derived)}`,
    );
  }
  o.log(`build ${k.id}`);
  try {
    const { spec, file } = loadSeries(seriesFile);
    const b = await buildKernel({
      series: spec,
      seriesFile: file,
      tree: o.tree,
      cache: o.cache,
      log: (l) => o.log(`    ${l}`),
    });
    return {
      id: k.id,
      ok: true,
      cached: b.cached,
      seconds: round((performance.now() - t0) / 1000),
      release: b.artifact.release,
      seriesFile,
      artifactDir: b.artifactDir,
    };
  } catch (e) {
    return { ...kernelFailed(k, t0, e), seriesFile };
  }
}

/** A kernel that could not be made ready: the cells on it are ERROR with this. Interruptions and bugs go on up. */
function kernelFailed(k: PlannedKernel, t0: number, e: unknown): KernelResult {
  if (!(e instanceof LabError) || e.outcome === 'interrupted') throw e;
  return {
    id: k.id,
    ok: false,
    seconds: round((performance.now() - t0) / 1000),
    error: `${e.message}${e.details ? `\n${e.details}` : ''}`,
  };
}

/**
 * Connects to each host of the matrix, probes it (the doctor's probes over its connection, cached per
 * host boot), places the cells by their suites' requires:, and puts each placed kernel on its host
 * once, before any cell starts (the cells' own runs then find them there).
 */
async function placeOnHosts(
  queue: readonly PlannedCell[],
  o: MatrixRunOptions,
  summary: MatrixSummary,
  kernelOf: ReadonlyMap<string, KernelResult>,
): Promise<{ hosts: HostSpec[]; placement: Map<string, Placement>; unreachable: boolean }> {
  const { config, file } = loadLabConfig(o.labConfig);
  const specs = o.spec.hosts.map((n) => findHost(config, n, file));
  const probeKernel = (await debianDefaultKernel(o.cache)).vmlinuz;
  const probed: ProbedHost[] = [];
  const conns = new Map<string, HostConnection>();
  summary.hosts = [];
  for (const spec of specs) {
    try {
      const conn = await connectHost(spec);
      conns.set(spec.name, conn);
      const p = await probeHost(conn, o.cache, probeKernel);
      probed.push(p);
      summary.hosts.push({
        name: spec.name,
        uri: spec.uri,
        accel: p.accel,
        accelReason: p.accelReason,
        vendor: p.capabilities.vendor,
      });
      o.log(`host ${spec.name}: ${p.accel} (${p.accelReason}), ${p.capabilities.vendor}`);
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
      summary.hosts.push({ name: spec.name, uri: spec.uri, error: e.message.split('\n')[0]! });
      o.log(`host ${spec.name}: unreachable: ${e.message.split('\n')[0]}`);
    }
  }
  // With no host reachable there is nothing to place on; the reason names what went wrong with each.
  const unreachable = summary.hosts.filter((h) => h.error).map((h) => `${h.name}: ${h.error}`);
  const placement = probed.length
    ? placeCells(
        queue.map((c) => ({ id: c.id, requires: loadSuite(c.suite).requires, guest: loadGuest(c.guest) })),
        probed,
      )
    : new Map<string, Placement>(queue.map((c) => [c.id, { skip: `no host reachable (${unreachable.join(' | ')})` }]));
  if (probed.length && unreachable.length) {
    for (const [id, p] of placement)
      if ('skip' in p) placement.set(id, { skip: `${p.skip}; unreachable: ${unreachable.join(' | ')}` });
  }
  try {
    for (const h of probed) {
      const conn = conns.get(h.spec.name)!;
      const kernels = new Set(
        queue.filter((c) => (placement.get(c.id) as { host?: string }).host === h.spec.name).map((c) => c.kernel),
      );
      for (const k of kernels) {
        const built = kernelOf.get(k);
        const artifact = built?.artifactDir ? artifactFromDir(built.artifactDir) : await debianKernel(o.cache, k);
        const boot = await bootableKernel(artifact.vmlinuz, artifact.config);
        const put = await conn.link.put(boot.path, `${await conn.link.privateDir(h.spec.workdir)}/files`);
        o.log(`host ${h.spec.name}: kernel ${k} ${put.copied ? 'copied' : 'already there'}`);
      }
    }
  } finally {
    for (const c of conns.values()) await c.close();
  }
  return { hosts: probed.map((p) => p.spec), placement, unreachable: unreachable.length > 0 };
}

/** A cell's attempts: again after an infrastructure failure (or no result), up to its retries. */
async function runCell(
  ops: MatrixOps,
  cell: PlannedCell,
  kernel: KernelResult | undefined,
  ctx: CellContext,
): Promise<Partial<CellResult>> {
  const t0 = performance.now();
  let out: Partial<CellResult> = {};
  for (let attempt = 1; attempt <= cell.retries + 1; attempt++) {
    const a = await ops.runCell(cell, kernel, attempt, ctx);
    out = cellFromResult(a.result, attempt, { timedOut: a.timedOut, timeout: cell.timeout, output: a.output });
    if (labAbort.aborted || a.timedOut || (a.result && !isInfrastructure(a.result.outcome))) break;
  }
  return { ...out, seconds: round((performance.now() - t0) / 1000) };
}

/** The real operations: kernels fetched or built here, each cell attempt a `lab run` child. */
export function labMatrixOps(o: MatrixRunOptions): MatrixOps {
  return {
    prepareKernel: buildOne,
    async runCell(cell, kernel, attempt, { run, cellsDir, running, host }) {
      const args = [
        labBin(),
        'run',
        cell.suite,
        '--guest',
        cell.guest,
        '--quiet',
        ...(debianKernelSpec(cell.kernel) ? ['--kernel', requireDebianKernel(cell.kernel).id] : []),
        ...(kernel?.seriesFile ? ['--series', kernel.seriesFile, ...(o.tree ? ['--tree', o.tree] : [])] : []),
        ...(host ? ['--host', host.name, ...(o.labConfig ? ['--lab-config', o.labConfig] : [])] : []),
      ];
      // The child hands back its result through a file it is told of, never through its console text.
      const resultFile = join(
        cellsDir,
        `.${cell.id.replace(/[^A-Za-z0-9._-]/g, '_')}.${cell.runs > 1 ? `run${run}.` : ''}${attempt}.result.json`,
      );
      const execa = await loadExeca();
      const child = execa('node', [...args, '--result-file', resultFile], {
        reject: false,
        all: true,
        env: { LAB_REPORTS: cellsDir },
        timeout: cell.timeout * 1000,
        killSignal: 'SIGTERM',
        forceKillAfterDelay: 15000,
      });
      running.add(child);
      const r = await child;
      running.delete(child);
      const result = readRunResult(resultFile);
      // A child that gave no result died before its report (or crashed): its whole output is kept beside.
      if (!result) writeFileSync(resultFile.replace(/\.result\.json$/, '.output.log'), r.all);
      return { result, timedOut: r.timedOut, output: r.all };
    },
  };
}

/** Pure: a cell's record from its run's result file (none: the child died before it could write one). */
export function cellFromResult(
  result: (RunResultFile & { summary?: RunSummary }) | undefined,
  attempts: number,
  child: { timedOut: boolean; timeout: number; output: string },
): Partial<CellResult> {
  const s = result?.summary;
  const reason = child.timedOut
    ? `timed out after ${child.timeout} s`
    : s?.error
      ? s.error.message.split('\n')[0]
      : result?.error
        ? result.error.split('\n')[0]
        : !result
          ? `the cell's run gave no result: ${child.output.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`
          : undefined;
  return {
    attempts,
    status: child.timedOut ? 'TIMEOUT' : (s?.status ?? 'ERROR'),
    ...(result && !child.timedOut ? { outcome: result.outcome } : {}),
    ...(result?.reportDir ? { report: join('cells', result.reportDir.split('/').pop()!) } : {}),
    ...(s ? { counts: s.counts } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** A cell's run summaries, in run order (every run of a cell with several; the one otherwise). */
function cellSummaries(root: string, c: CellResult | undefined): RunSummary[] {
  const reports = c?.runs ? c.runs.map((r) => r.report) : [c?.report];
  return reports.flatMap((report) =>
    report && existsSync(join(root, report, 'summary.json'))
      ? [JSON.parse(readFileSync(join(root, report, 'summary.json'), 'utf8')) as RunSummary]
      : [],
  );
}

/**
 * A comparison's verdicts joined to its cell: new failures (described by `how`) and metric regressions by the A/B
 * test.
 */
function flag(cell: CellResult, c: CellAgainstBaseline, how: (r: StatusChange) => string): void {
  // A compared cell always has the list, empty when nothing is new: summary.json tells "compared, nothing new"
  // from "not compared" (no baseline cell, no result) by it.
  cell.newFailures = [...(cell.newFailures ?? []), ...c.newFailures.map(how)];
  const slower = metricRegressionLines(c);
  if (slower.length) cell.metricRegressions = [...(cell.metricRegressions ?? []), ...slower];
}

/** Each other kernel's cells against the baseline kernel's: new failures join the cell's, metrics side by side. */
function addKernelBaseline(summary: MatrixSummary, kernel: string, dir: string, threshold: number): void {
  summary.againstBaseline = [];
  for (const { cell, baseline } of baselinePairs(summary.cells, kernel)) {
    const now = cellSummaries(dir, cell);
    const then = cellSummaries(dir, baseline);
    if (!now.length || !then.length) continue;
    const c = compareRunSets({ id: cell.id, baselineId: baseline.id }, then, now, { threshold });
    summary.againstBaseline.push(c);
    flag(cell, c, (r) => `${r.path}: ${r.before} on ${kernel} → ${r.after}`);
  }
}

/** Per cell, the tests that fail now and did not in the baseline matrix run, and its metrics against that run's. */
function addBaseline(summary: MatrixSummary, baseline: string, dir: string, threshold: number): void {
  const bdir = existsSync(join(baseline, 'summary.json')) ? baseline : join(reportsRoot(), baseline);
  const base = JSON.parse(readFileSync(join(bdir, 'summary.json'), 'utf8')) as MatrixSummary;
  summary.againstRun = [];
  for (const c of summary.cells) {
    const now = cellSummaries(dir, c);
    const then = cellSummaries(
      bdir,
      base.cells.find((x) => x.id === c.id),
    );
    if (!now.length || !then.length) continue;
    const cmp = compareRunSets({ id: c.id, baselineId: `${base.matrixRunId}:${c.id}` }, then, now, { threshold });
    summary.againstRun.push(cmp);
    flag(c, cmp, (r) => `${r.path}: ${r.before} → ${r.after}`);
  }
}

const round = (s: number) => Math.round(s * 10) / 10;
