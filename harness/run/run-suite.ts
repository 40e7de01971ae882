import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { LabError, InfraError, SuiteTimeoutError, UsageError } from '../util/errors.js';
import type { ShareRequest } from '../vm/shared-dir.js';
import { cacheRoot, reportsRoot } from '../util/paths.js';
import { raceAbort } from '../util/abort.js';
import { hashParts } from '../util/hash.js';
import { unmetReason } from '../local-host/capabilities.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import type { GuestHandle } from '../vm/guest-handle.js';
import { findHost, loadLabConfig } from '../libvirt/host-connection.js';
import { loadGuest, loadScenario, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { DamonSysfs } from '../damon/sysfs-driver.js';
import { CheckRecorder } from '../suites/check-recorder.js';
import { sshUnavailable, type ScenarioContext } from '../suites/scenario.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import { writeReport } from '../report/write-report.js';
import { StageClock } from './stage-clock.js';
import { newRunId } from './run-id.js';
import { countStatuses, type RunSummary } from './run-summary.js';
import { collectResults } from './run-results.js';
import { imageStage, sshStage, startStage, type Booted, type RunState } from './guest-stages.js';
import { consoleRunSeconds, kernelFit, type KernelChoice, type KernelFit, type RunPlan } from './run-plan.js';
import { localRunOps, type MachineHost, type RunOps } from './run-ops.js';
import { timeline } from '../util/timeline.js';

export type { KernelChoice } from './run-plan.js';

export interface RunOptions {
  suite: string;
  kernel?: KernelChoice;
  /** Guest name or YAML path; default: the suite's guest. */
  guest?: string;
  /** A libvirt host of the lab config's inventory to run the guest on (default: QEMU on this machine). */
  host?: string;
  /** The lab config holding the hosts inventory (default: $LAB_CONFIG or ~/.config/damon-lab/lab.yaml). */
  labConfig?: string;
  /** Stop the guest at once after the suite (QMP quit, no poweroff inside it): runs that only want a verdict. */
  quickStop?: boolean;
  /** Keep the guest's run dir (QMP socket, console) after the run. */
  keep?: boolean;
  /** Leave the guest running under this name (see RunPlan.keepGuest). */
  keepGuest?: string;
  /** A host directory the guest sees at the same path (see RunPlan.share). */
  share?: ShareRequest;
  /** Measure the guest itself after the suite (its memory in use): for comparisons (lab ab). */
  measureGuest?: boolean;
  /** Saved booted guests (default 'on'; LAB_NO_SNAPSHOT=1 makes it 'off'): see RunPlan. */
  snapshots?: RunPlan['snapshots'];
  log?: (line: string) => void;
}

export interface RunOutcome {
  summary: RunSummary;
  reportDir: string;
}

/** Thrown before boot when the host lacks what the suite requires: every check becomes SKIP. */
class RequirementsUnmet extends Error {}

/**
 * Reads the files a run names (suite, guest, scenario, series, lab config): a bad one is an error before anything
 * starts.
 */
export async function resolveRun(opts: RunOptions): Promise<RunPlan> {
  const suite = loadSuite(opts.suite);
  const guest = loadGuest(opts.guest ?? suite.guest);
  const scenario = await loadScenario(suite);
  const kernel = opts.kernel ?? { kind: 'debian' };
  const series = kernel.kind === 'series' || kernel.kind === 'built' ? loadSeries(kernel.series) : undefined;
  const host = opts.host
    ? (({ config, file }) => findHost(config, opts.host!, file))(loadLabConfig(opts.labConfig))
    : undefined;
  if (opts.share && host)
    throw new UsageError(
      `--share ${opts.share.dir}: shares work for guests QEMU runs on this machine, not on host ${host.name}`,
    );
  const runId = newRunId(suite.name);
  return {
    runId,
    reportDir: join(reportsRoot(), runId),
    suite,
    guest,
    scenario,
    kernel,
    ...(series ? { series } : {}),
    ...(host ? { host } : {}),
    quickStop: opts.quickStop === true,
    keep: opts.keep === true,
    ...(opts.keepGuest === undefined ? {} : { keepGuest: opts.keepGuest }),
    ...(opts.share ? { share: opts.share } : {}),
    ...(opts.measureGuest ? { measureGuest: true } : {}),
    snapshots: process.env.LAB_NO_SNAPSHOT === '1' ? 'off' : (opts.snapshots ?? 'on'),
  };
}

/** One suite run: the files read, then the stages with this machine's operations. */
export async function runSuite(opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? (() => {});
  const plan = await resolveRun(opts);
  return executeRun(plan, localRunOps(cacheRoot(), log), log);
}

/**
 * The pipeline of one run: setup → kernel → (fit) → accel → workloads/image → vmlinux → boot → suite →
 * shutdown → results → report. Each stage is a function with a narrow input and output; this one only
 * sequences them and keeps what they return for summary.json. Whatever happens once the plan is made,
 * a report is written and the guest is gone.
 */
export async function executeRun(plan: RunPlan, ops: RunOps, log: (line: string) => void): Promise<RunOutcome> {
  const { suite, scenario } = plan;
  const startedAt = new Date().toISOString();
  const timelineFrom = timeline.entries.length;
  timeline.mark('run');
  const clock = new StageClock((t) =>
    log(`  ${t.stage.padEnd(10)} ${t.seconds.toFixed(2).padStart(7)} s${t.note ? `  ${t.note}` : ''}`),
  );
  const checks = new CheckRecorder(suite.name, (r) =>
    log(`  ${r.status.padEnd(5)} ${r.name}${r.reason ? ` — ${r.reason}` : ''}`),
  );
  const summary: RunSummary = {
    runId: plan.runId,
    suite: suite.name,
    status: 'ERROR',
    outcome: 'infrastructure',
    startedAt,
    finishedAt: startedAt,
    stages: clock.stages,
    tests: [],
    counts: countStatuses([]),
    console: { findings: [], log: 'console.log' },
  };
  let guest: GuestHandle | undefined;
  let machine: MachineHost | undefined;
  let runError: LabError | undefined;
  let kept = false;
  log(`${suite.name}: run ${plan.runId}`);

  try {
    await clock.time(
      'setup',
      () => ops.ensurePackages('run'),
      (installed) => (installed.length ? `installed ${installed.join(' ')}` : undefined),
    );
    const kernel = await clock.time(
      'kernel',
      () => ops.kernel(plan),
      (k) => k.release,
    );
    summary.kernel = kernelFacts(kernel);
    const fit = kernelFit(kernel.config, suite, scenario, plan.share);
    if (fit.share) summary.share = fit.share;
    if (fit.share)
      log(`  share    ${fit.share.dir} over ${fit.share.fs}, ${fit.share.writable ? 'writable' : 'read-only'}`);
    // DAMON's in-kernel users (damon_stat starts at boot on Debian 7.2) hold DAMON: a suite that needs it
    // to itself keeps them off from the kernel command line, and the report says so.
    if (fit.damonUsers.length) summary.damon = { inKernelUsers: fit.damonUsers, keptOff: fit.keepOff };
    if (fit.keepOff.length) log(`  in-kernel DAMON users kept off for this suite: ${fit.keepOff.join(' ')}`);
    if (fit.unmet.length) {
      checks.skipAll(scenario.checks, fit.unmet.join('; '));
    } else {
      // Accelerator and requirements first: a suite that cannot run here is SKIP before anything is built.
      machine = await clock.time(
        'accel',
        () => ops.machineHost(plan, kernel),
        (m) => `${m.accel}${m.uri ? ` on ${m.uri}` : ''}`,
      );
      summary.guest = {
        name: plan.guest.name,
        accel: machine.accel,
        accelReason: machine.accelReason,
        host: machine.name,
      };
      summary.host = machine.capabilities;
      const unmetCaps = unmetHostRequirements(plan, machine);
      if (unmetCaps.length) throw new RequirementsUnmet(unmetCaps.join('; '));
      const booted = await bootStage(plan, ops, machine, kernel, fit, {
        clock,
        checks,
        summary,
        log,
        onGuest: (g) => {
          guest = g;
        },
      });
      await clock.time('suite', () => scenarioStage(plan, kernel, fit, booted, { clock, checks, summary, log }));
    }
  } catch (e) {
    runError = await runErrorOf(e, guest, scenario.checks, checks);
    if (runError) {
      summary.error = { message: runError.message, details: runError.details };
      log(`error: ${runError.message}`);
    }
  } finally {
    kept = guest && !runError && plan.keepGuest !== undefined ? await keepGuest(plan, ops, guest, summary, log) : false;
    if (guest && !kept) {
      const g = guest;
      const stop = () =>
        runError?.outcome === 'interrupted'
          ? g.kill().then(() => 'killed' as const)
          : g.shutdown({ quick: plan.quickStop });
      summary.guest!.shutdown = await clock.time('shutdown', stop, (h) => h);
    }
    await machine?.close();
  }

  const results = collectResults({
    suite: suite.name,
    planned: scenario.checks,
    recorded: checks.records,
    ...(runError ? { runError } : {}),
    ...(guest ? { findings: guest.watcher.findings } : {}),
  });
  if (guest) summary.console.findings = [...guest.watcher.findings];
  summary.tests = results.tests;
  summary.counts = countStatuses(results.tests);
  summary.status = results.status;
  summary.outcome = results.outcome;
  summary.finishedAt = new Date().toISOString();
  timeline.mark('report');
  summary.timeline = timeline.since(timelineFrom);
  writeReport(plan.reportDir, summary, guest?.plan.consoleLog);
  if (kept) return { summary, reportDir: plan.reportDir };
  if (guest && !plan.keep) guest.removeRunDir();
  else if (guest) guest.keepRunDir();
  return { summary, reportDir: plan.reportDir };
}

/**
 * Leaves the guest running for the user and records it (its QEMU no longer dies with the lab): true when it was
 * kept. A guest that cannot be kept (a libvirt domain, a console-only kernel) is stopped as usual, saying why.
 */
async function keepGuest(
  plan: RunPlan,
  ops: RunOps,
  guest: GuestHandle,
  summary: RunSummary,
  log: (line: string) => void,
): Promise<boolean> {
  const name = plan.keepGuest!;
  const port = guest.plan.sshPort;
  const why = !ops.keepGuest
    ? 'this machine host cannot keep guests'
    : port === undefined
      ? 'it has no SSH (a console-only kernel)'
      : undefined;
  const pid = why ? undefined : guest.detach?.();
  if (pid === undefined || port === undefined) {
    log(`  the guest cannot be kept running: ${why ?? 'its machine cannot outlive the lab (a libvirt domain)'}`);
    return false;
  }
  await ops.keepGuest!({
    name,
    pid,
    sshPort: port,
    runDir: guest.runDir,
    consoleLog: guest.plan.consoleLog,
    ...(guest.plan.qmpSocket ? { qmpSocket: guest.plan.qmpSocket } : {}),
    release: summary.kernel?.release ?? '',
    kernel: summary.kernel?.vmlinuz ?? '',
    guest: plan.guest.name,
    startedAt: new Date().toISOString(),
    reportDir: plan.reportDir,
    ...(summary.share ? { share: summary.share } : {}),
  });
  summary.guest!.shutdown = `kept running as ${name}`;
  log(`  kept     guest ${name}: QEMU pid ${pid}, ssh on 127.0.0.1:${port}`);
  log(`  get in:  lab shell ${name} · lab exec ${name} -- CMD · lab down ${name}`);
  return true;
}

/** Pure: MemTotal - MemAvailable of a /proc/meminfo, in MiB; undefined when either is missing. */
export function meminfoUsedMiB(meminfo: string): number | undefined {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? NaN);
  const used = (kb('MemTotal') - kb('MemAvailable')) / 1024;
  return Number.isFinite(used) ? Math.round(used * 10) / 10 : undefined;
}

async function memUsedMiB(ssh: GuestSsh): Promise<number | undefined> {
  const r = await ssh.exec('cat /proc/meminfo');
  return r.code === 0 ? meminfoUsedMiB(r.stdout) : undefined;
}

/** The kernel as summary.json names it. */
function kernelFacts(kernel: KernelArtifact): NonNullable<RunSummary['kernel']> {
  return {
    release: kernel.release,
    source: kernel.source,
    vmlinuz: kernel.vmlinuz,
    configPath: kernel.configPath,
    configSha: hashParts([['config', readFileSync(kernel.configPath)]]).slice(0, 16),
    buildId: kernel.buildId,
    series: kernel.series,
  };
}

/** What the suite requires of the host (KVM, a vPMU, IBS, NUMA) that this machine host and guest lack. */
function unmetHostRequirements(plan: RunPlan, m: MachineHost): string[] {
  const ctx = {
    accel: m.accel,
    accelReason: m.accelReason,
    host: m.capabilities,
    guestPmu: plan.guest.pmu,
    guestNumaNodes: plan.guest.numa?.length ?? 1,
  };
  return plan.suite.requires.map((r) => unmetReason(r, ctx)).filter((x): x is string => x !== undefined);
}

/**
 * Files to boot, then the guest started (restored from a snapshot, or booted: one path for console and SSH
 * guests), then SSH. A console guest has no init: its kernel runs the KUnit suites and ends itself, and its
 * boot stage lasts until then.
 */
async function bootStage(
  plan: RunPlan,
  ops: RunOps,
  machine: MachineHost,
  kernel: KernelArtifact,
  fit: KernelFit,
  run: RunState & { onGuest: (g: GuestHandle | undefined) => void },
): Promise<Booted> {
  const bootScript = fit.mode === 'ssh' ? plan.scenario.atBoot?.({ suite: plan.suite, kernel }) : undefined;
  const files = fit.mode === 'ssh' ? await imageStage(plan, ops, kernel, fit, bootScript, run) : {};
  const bootKernel = await run.clock.time(
    'vmlinux',
    () => ops.bootable(kernel),
    (b) => (b.pvh ? 'PVH entry' : 'bzImage'),
  );
  const start = () => startStage(plan, machine, kernel, fit, { ...files, kernel: bootKernel.path }, bootScript, run);
  const started = await start();
  if (fit.mode === 'console') return started.booted;
  if (!started.restored) return sshStage(plan, started, files, bootScript, run);
  try {
    return await sshStage(plan, started, files, bootScript, run);
  } catch (e) {
    if (!(e instanceof LabError) || e.outcome === 'interrupted') throw e;
    // The stream loaded but what it holds does not run (a guest that panics at once, or never answers): the
    // snapshot is bad, not the kernel. It goes, and the run boots as if it had never been there.
    await dropBadRestore(plan, machine, started.booted.guest, e, run);
    return sshStage(plan, await start(), files, bootScript, run);
  }
}

/**
 * A restored guest that did not answer: its snapshot deleted, its console kept in the report folder
 * (restore-console.log), the guest stopped and forgotten, and the report told why the run booted.
 */
async function dropBadRestore(
  plan: RunPlan,
  machine: MachineHost,
  guest: GuestHandle,
  e: LabError,
  run: RunState & { onGuest: (g: GuestHandle | undefined) => void },
): Promise<void> {
  const key = run.summary.snapshot?.key;
  const snap = key ? machine.snapshots?.find(key) : undefined;
  if (snap) machine.snapshots!.drop(snap);
  mkdirSync(plan.reportDir, { recursive: true });
  writeFileSync(join(plan.reportDir, 'restore-console.log'), guest.consoleText());
  await guest.kill();
  guest.removeRunDir();
  run.onGuest(undefined);
  const why = e.message.split('\n')[0];
  run.log(`  the restored guest did not answer (${why}): snapshot ${key} deleted, booting instead`);
  run.summary.snapshot = {
    key: key ?? '',
    note: `snapshot ${key} restored, but its guest did not answer (${why}; its console: restore-console.log): deleted, booted instead`,
  };
}

/** The scenario with its context, within the suite's timeout (a console run's time was the boot's). */
async function scenarioStage(
  plan: RunPlan,
  kernel: KernelArtifact,
  fit: KernelFit,
  booted: Booted,
  run: RunState,
): Promise<void> {
  const { suite, scenario } = plan;
  const { checks, summary, log } = run;
  const { guest } = booted;
  const context = (ssh: GuestSsh, consoleOnly?: string): ScenarioContext => ({
    suite,
    kernel,
    ...(plan.series ? { series: plan.series.spec } : {}),
    ssh,
    ...(consoleOnly ? { consoleOnly } : {}),
    checks,
    accel: summary.guest?.accel ?? 'unknown',
    log: (l: string) => log(`    ${l}`),
    console: () => guest.consoleText(),
    saveArtifact: (name: string, content: string) => {
      mkdirSync(plan.reportDir, { recursive: true });
      writeFileSync(join(plan.reportDir, name.replace(/[^A-Za-z0-9._-]/g, '_')), content);
    },
    addPlot: (title: string, svg: string) => {
      (summary.plots ??= []).push({ title, svg });
    },
    damonSysfs: () =>
      new DamonSysfs(ssh, undefined, (p) => {
        const { features, goalMetrics, goalTuners, probeFilterTypes, availOperations, inKernelUsers } = p;
        const probe = {
          availOperations,
          features,
          goalMetrics,
          goalTuners,
          probeFilterTypes,
          activeInKernelUsers: inKernelUsers,
        };
        summary.damon = { inKernelUsers: [], keptOff: [], ...summary.damon, probe };
      }),
  });

  if (fit.mode === 'console') {
    await scenario.run(context(sshUnavailable(fit.consoleReason!), fit.consoleReason));
    if (!booted.ended) {
      throw new SuiteTimeoutError(
        `the console-only guest did not end within boot_timeout + the suite's timeout (${consoleRunSeconds(plan.guest, suite)} s); tests that never reported are MISS`,
      );
    }
    return;
  }
  const { connected, onDemand } = booted.ssh!;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const why = `suite did not finish within its timeout of ${suite.timeout} s${onDemand ? ' (the boot script counts)' : ''}`;
    timer = setTimeout(() => reject(new SuiteTimeoutError(why)), suite.timeout * 1000);
  });
  const suiteRun = async () => {
    let ssh = connected!;
    if (onDemand) {
      // The boot script's time is the suite's: a test module that hangs is the suite's timeout, and one
      // that panics the kernel is its failure (the console says so), not a boot failure.
      const done = await guest.waitBootScript();
      const lost = done ? undefined : await guest.infrastructureLoss();
      if (lost) throw lost;
      ssh = done
        ? onDemand.ssh
        : sshUnavailable(`the guest ended while its boot script ran (${guest.plan.consoleLog})`);
    }
    await scenario.run(context(ssh));
    // The guest's memory in use once the suite is done (lab ab compares it): MemTotal - MemAvailable.
    if (plan.measureGuest) summary.guestMemUsedMiB = await memUsedMiB(ssh).catch(() => undefined);
  };
  try {
    await raceAbort(Promise.race([suiteRun(), timeout]));
  } finally {
    clearTimeout(timer);
  }
  const unreachable = onDemand?.failure();
  if (unreachable) throw unreachable;
}

/**
 * What ended the run early, as the run's error: a guest lost to the host (QEMU killed, SSH gone) is the
 * cause whatever a scenario threw; requirements the host lacks make every check SKIP (no error); anything
 * that is not a LabError is the lab's own bug.
 */
async function runErrorOf(
  e: unknown,
  guest: GuestHandle | undefined,
  planned: readonly string[],
  checks: CheckRecorder,
): Promise<LabError | undefined> {
  if (e instanceof RequirementsUnmet) {
    checks.skipAll(planned, e.message);
    return undefined;
  }
  const lost =
    guest && !(e instanceof LabError && e.outcome === 'interrupted') ? await guest.infrastructureLoss() : undefined;
  if (lost) return lost;
  if (!(e instanceof LabError)) return new InfraError(`internal error: ${(e as Error).stack ?? String(e)}`);
  return e;
}
