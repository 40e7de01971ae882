import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { LabError, InfraError, SuiteTimeoutError } from '../util/errors.js';
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
import { sshOnDemand, sshUnavailable, type ScenarioContext } from '../suites/scenario.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import { modprobeFailures } from '../guest/guest-protocol.js';
import { writeReport } from '../report/write-report.js';
import { StageClock } from './stage-clock.js';
import { newRunId } from './run-id.js';
import { countStatuses, type RunSummary } from './run-summary.js';
import { collectResults } from './run-results.js';
import { freshenRestored, LAB_WORKLOADS, restoreGuest, saveGuest } from './snapshot-stage.js';
import type { ConsoleFinding } from '../results/console-watcher.js';
import {
  snapshotEligible,
  consoleRunSeconds,
  kernelFit,
  runCmdline,
  type KernelChoice,
  type KernelFit,
  type RunPlan,
} from './run-plan.js';
import { localRunOps, type MachineHost, type RunOps } from './run-ops.js';

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
    const fit = kernelFit(kernel.config, suite, scenario);
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
    if (guest) {
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
  writeReport(plan.reportDir, summary, guest?.plan.consoleLog);
  if (guest && !plan.keep) guest.removeRunDir();
  else if (guest) guest.keepRunDir();
  return { summary, reportDir: plan.reportDir };
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

/** What the stages share with the run: its clock, its checks, the summary they add facts to, its log. */
interface RunState {
  clock: StageClock;
  checks: CheckRecorder;
  summary: RunSummary;
  log: (line: string) => void;
}

/** What the boot stage hands the scenario stage. */
interface Booted {
  guest: GuestHandle;
  /** Console mode: whether the guest ended itself in time. */
  ended?: boolean;
  /** SSH mode: connect (now, or on the scenario's first use when the boot script's output is read first). */
  ssh?: { connected?: GuestSsh; onDemand?: ReturnType<typeof sshOnDemand> };
}

/**
 * Files to boot, then one boot path for both modes. An SSH guest gets workloads, keys and an initramfs
 * (and a root disk); it is ready when its init says so (or when its boot script starts). A console guest
 * has no init: its kernel runs the KUnit suites and ends itself, and the boot stage lasts until then.
 */
async function bootStage(
  plan: RunPlan,
  ops: RunOps,
  machine: MachineHost,
  kernel: KernelArtifact,
  fit: KernelFit,
  run: RunState & {
    /** Told of the guest as soon as it exists: whatever fails after, the run must stop it and read its console. */
    onGuest: (g: GuestHandle | undefined) => void;
  },
): Promise<Booted> {
  const { suite, guest: guestSpec, scenario } = plan;
  const { clock, checks, summary, log } = run;
  let files: { initrd?: string; rootDisk?: string; keys?: Awaited<ReturnType<RunOps['keys']>>; hostKey?: string } = {};
  const bootScript = fit.mode === 'ssh' ? scenario.atBoot?.({ suite, kernel }) : undefined;
  if (fit.mode === 'ssh') {
    const workloads = await clock.time('workloads', () =>
      ops.workloads([...new Set([...suite.workloads, ...LAB_WORKLOADS])]),
    );
    const keys = await ops.keys();
    const image = await clock.time(
      'image',
      () =>
        ops.initramfs({
          kernel,
          keys,
          modules: suite.modules,
          workloads,
          allModules: plan.kernel.kind !== 'debian',
          kselftestDir: kernel.kselftestDir,
          ...(bootScript !== undefined ? { bootScript } : {}),
        }),
      (i) => (i.cached ? 'cached' : i.damaged ? 'built again: the cached copy was damaged (hash mismatch)' : 'built'),
    );
    const rootfs =
      suite.image === 'initramfs'
        ? undefined
        : await clock.time(
            'rootfs',
            () => ops.rootfs(suite.image, keys),
            (r) => (r.cached ? 'cached' : 'built'),
          );
    summary.image = {
      ...image,
      ...(rootfs ? { rootfs: { path: rootfs.path, key: rootfs.key, cached: rootfs.cached } } : {}),
    };
    files = { initrd: image.path, keys, ...(rootfs ? { rootDisk: rootfs.path, hostKey: rootfs.hostPublicKey } : {}) };
  }
  const bootKernel = await clock.time(
    'vmlinux',
    () => ops.bootable(kernel),
    (b) => (b.pvh ? 'PVH entry' : 'bzImage'),
  );
  let booted: Booted | undefined;
  const note =
    fit.mode === 'console'
      ? 'console only, until kunit_shutdown'
      : bootScript !== undefined
        ? 'until the boot script starts'
        : undefined;
  const request = {
    guest: guestSpec,
    accel: machine.accel,
    kernel: bootKernel.path,
    extraCmdline: runCmdline(suite, fit, machine.accel),
    ...(fit.mode === 'console' ? { consoleOnly: true } : {}),
    initrd: files.initrd,
    rootDisk: files.rootDisk,
    onFinding: (f: ConsoleFinding) => log(`  console: ${f.kind}: ${f.title}`),
  };
  const snapshots = snapshotEligible(plan, fit, bootScript) ? machine.snapshots : undefined;
  const key = snapshots ? await snapshots.key(request) : undefined;
  const snap = key ? snapshots!.find(key) : undefined;
  const started = (guest: GuestHandle) => {
    booted = { guest };
    run.onGuest(guest);
    summary.guest = {
      ...summary.guest!,
      cmdline: guest.plan.cmdline,
      argv: guest.plan.argv,
      domainXml: guest.plan.domainXml,
    };
  };
  let restored: { guest?: GuestHandle; note?: string } = {};
  if (snap) {
    restored = await clock.time(
      'restore',
      () =>
        restoreGuest({
          snap,
          snapshots: snapshots!,
          boot: (req) => machine.boot(req),
          request,
          timeoutMs: guestSpec.boot_timeout * 1000,
          onGuest: (g) => (g ? started(g) : run.onGuest(undefined)),
        }),
      (r) => (r.guest ? `from snapshot ${snap.meta.key}` : r.note),
    );
    summary.snapshot = { key: key!, ...(restored.guest ? { restoredFrom: snap.dir } : { note: restored.note }) };
  }
  if (restored.guest) {
    checks.watchGuest(() => restored.guest!.infrastructureLoss());
    if (snap!.meta.release !== kernel.release) {
      throw new InfraError(
        `the snapshot's guest runs ${snap!.meta.release}, expected ${kernel.release}`,
        undefined,
        'boot-failed',
      );
    }
  } else {
    await clock.time(
      'boot',
      async () => {
        const guest = await machine.boot(request);
        started(guest);
        if (fit.mode === 'console') {
          const ended = await guest.waitConsoleRun(consoleRunSeconds(guestSpec, suite) * 1000);
          booted!.ended = ended;
          const lost = ended ? await guest.infrastructureLoss() : undefined;
          if (lost) throw lost;
          const release = /Linux version (\S+)/.exec(guest.consoleText())?.[1];
          if (release !== kernel.release)
            throw guest.bootFailure(
              release
                ? `guest ran kernel ${release}, expected ${kernel.release}`
                : 'the kernel printed nothing on the console',
            );
          return;
        }
        checks.watchGuest(() => guest.infrastructureLoss());
        const release = await raceAbort(
          guest.waitReady(guestSpec.boot_timeout * 1000, bootScript !== undefined ? 'boot-script' : 'ssh'),
        );
        if (release !== kernel.release)
          throw new InfraError(`guest runs kernel ${release}, expected ${kernel.release}`, undefined, 'boot-failed');
        // A module init was asked to load and could not: said, not silent (a suite that needs it fails later).
        const notLoaded = modprobeFailures(guest.consoleTail(400));
        if (notLoaded.length) log(`  modules that did not load at boot: ${notLoaded.join(', ')}`);
      },
      () => note,
    );
    // Saved at the ready point, before the run touches it, when the boot was clean: later runs start here.
    if (key && plan.snapshots === 'on' && !booted!.guest.watcher.findings.length) {
      const saved = await clock.time(
        'save',
        () => saveGuest({ guest: booted!.guest, snapshots: snapshots!, key, release: kernel.release }),
        (s) => (s ? `snapshot ${key}, ${(s.meta.bytes / 1048576).toFixed(0)} MiB` : 'another run saved it first'),
      );
      summary.snapshot = { ...summary.snapshot, key, saved: saved !== undefined };
    }
  }
  if (fit.mode === 'console') return booted!;
  const connect = () => booted!.guest.connectSsh(files.keys!, 15000, files.hostKey);
  const onDemand =
    bootScript !== undefined
      ? sshOnDemand(() => raceAbort(booted!.guest.waitReady(guestSpec.boot_timeout * 1000)).then(connect))
      : undefined;
  const connected = onDemand
    ? undefined
    : await clock.time('ssh', async () => {
        const ssh = await connect();
        // A restored guest's clock stopped when it was saved, and its randomness is the snapshot's.
        if (restored.guest) await freshenRestored(ssh);
        return ssh;
      });
  booted!.ssh = { ...(connected ? { connected } : {}), ...(onDemand ? { onDemand } : {}) };
  return booted!;
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
