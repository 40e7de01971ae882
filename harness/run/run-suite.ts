import { join } from 'node:path';
import { ExitCode } from '../cli/exit-codes.js';
import { LabError, InfraError, SuiteTimeoutError } from '../util/errors.js';
import { cacheRoot, reportsRoot } from '../util/paths.js';
import { raceAbort } from '../util/abort.js';
import { probe } from '../util/process.js';
import { BUILD_PACKAGES, ensurePackages, REQUIRED_PACKAGES } from '../host/packages.js';
import { QEMU_BINARY, qemuVersion } from '../host/qemu-binary.js';
import { hostAccel, resolveAccel } from '../host/accel.js';
import { DEFAULT_DEBIAN_KERNEL, debianDefaultKernel, debianKernel } from '../kernel/debian-kernel.js';
import { probeHostCapabilities, unmetReason, type HostCapabilities } from '../host/capabilities.js';
import { sshUnreachableReason, unmetRequirements } from '../kernel/kconfig.js';
import { bootableKernel } from '../kernel/pvh-vmlinux.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import { ensureLabKeys } from '../guest/lab-keys.js';
import { buildWorkload } from '../image/workloads.js';
import { buildInitramfs } from '../image/initramfs.js';
import { buildRootfs } from '../image/rootfs.js';
import { hashParts } from '../util/hash.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startGuest, type BootRequest, type GuestPlan, type RunningGuest } from '../vm/boot-guest.js';
import { startLibvirtGuest } from '../vm/libvirt-guest.js';
import { connectHost, findHost, loadLabConfig, probeHost, type HostConnection } from '../hosts/host-connection.js';
import type { Accel } from '../vm/qemu-argv.js';
import { loadGuest, loadScenario, loadSeries, loadSuite } from '../suites/suite-catalog.js';
import { artifactFromDir, buildKernel } from '../build/build-kernel.js';
import { prebuiltKernel } from '../kernel/prebuilt-kernel.js';
import { inKernelDamonUsers, keepOffCmdline } from '../damon/in-kernel-users.js';
import { DamonSysfs } from '../damon/sysfs-driver.js';
import { CheckRecorder } from '../suites/check-recorder.js';
import { sshOnDemand, sshUnavailable, type ScenarioContext } from '../suites/scenario.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import { clipExcerpt, rollUp, type TestRecord } from '../results/model.js';
import { writeReport } from '../report/write-report.js';
import { StageClock } from './stage-clock.js';
import { newRunId } from './run-id.js';
import { countStatuses, type RunSummary } from './run-summary.js';
import { modprobeFailures } from '../guest/guest-protocol.js';

/** Thrown before boot when the host or guest lacks what the suite requires: every check becomes SKIP. */
class RequirementsUnmet extends Error {}

/** What a kernel must have built in to mount a rootfs image as its root disk (kernel/configs/rootfs.config). */
const ROOTFS_KERNEL_CONFIG = { CONFIG_BLOCK: 'y', CONFIG_VIRTIO_BLK: 'y', CONFIG_EXT4_FS: 'y' } as const;

/** Which kernel a run boots. */
export type KernelChoice =
  /** A Debian prebuilt kernel by id (debian-6.12, debian-7.2, ...); none: the guest's, else the default. */
  | { kind: 'debian'; id?: string }
  | { kind: 'series'; series: string; tree?: string }
  /** A kernel this process just built (bisect steps, matrix cells): its artifact, with no second lookup. */
  | { kind: 'built'; artifactDir: string; series: string }
  | { kind: 'prebuilt'; path: string; modules?: string; kconfig?: string };

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
  log?: (line: string) => void;
}

export interface RunOutcome {
  summary: RunSummary;
  reportDir: string;
}

/**
 * One suite run, the pipeline in a line: kernel → workloads → image → boot → scenario → results → report.
 * Whatever happens after the suite is resolved, a report is written and QEMU is gone.
 */
export async function runSuite(opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? (() => {});
  // Config errors surface before anything starts: nothing to report yet, exit 2.
  const suite = loadSuite(opts.suite);
  const guestSpec = loadGuest(opts.guest ?? suite.guest);
  const scenario = await loadScenario(suite);
  const kernelChoice = opts.kernel ?? { kind: 'debian' };
  const series = kernelChoice.kind === 'series' || kernelChoice.kind === 'built' ? loadSeries(kernelChoice.series) : undefined;
  const hostSpec = opts.host ? (({ config, file }) => findHost(config, opts.host!, file))(loadLabConfig(opts.labConfig)) : undefined;
  let conn: HostConnection | undefined;

  const runId = newRunId(suite.name);
  const reportDir = join(reportsRoot(), runId);
  const startedAt = new Date().toISOString();
  const clock = new StageClock((t) => log(`  ${t.stage.padEnd(10)} ${t.seconds.toFixed(2).padStart(7)} s${t.note ? `  ${t.note}` : ''}`));
  const checks = new CheckRecorder(suite.name, (r) => log(`  ${r.status.padEnd(5)} ${r.name}${r.reason ? ` — ${r.reason}` : ''}`));
  const cache = cacheRoot();
  const summary: RunSummary = {
    runId, suite: suite.name, status: 'ERROR', exitCode: ExitCode.infrastructure, startedAt, finishedAt: startedAt,
    stages: clock.stages, tests: [], counts: countStatuses([]), console: { findings: [], log: 'console.log' },
  };
  let guest: RunningGuest | undefined;
  let kernel: KernelArtifact | undefined;
  let runError: LabError | undefined;
  log(`${suite.name}: run ${runId}`);
  const recordPlan = (plan: GuestPlan) => {
    summary.guest = { ...summary.guest!, cmdline: plan.cmdline, ...(plan.argv ? { argv: plan.argv } : {}), ...(plan.domainXml ? { domainXml: plan.domainXml } : {}) };
  };
  const scenarioContext = (g: RunningGuest, via: { ssh: GuestSsh; consoleOnly?: string }): ScenarioContext => ({
    suite, kernel: kernel!, ...(series ? { series: series.spec } : {}), ...via, checks, accel: summary.guest?.accel ?? 'unknown', log: (l: string) => log(`    ${l}`), console: () => g.consoleText(),
    saveArtifact: (name: string, content: string) => {
      mkdirSync(reportDir, { recursive: true });
      writeFileSync(join(reportDir, name.replace(/[^A-Za-z0-9._-]/g, '_')), content);
    },
    addPlot: (title: string, svg: string) => { (summary.plots ??= []).push({ title, svg }); },
    damonSysfs: () => new DamonSysfs(via.ssh, undefined, (probe) => {
      const { features, goalMetrics, goalTuners, probeFilterTypes, availOperations, inKernelUsers } = probe;
      summary.damon = { inKernelUsers: [], keptOff: [], ...summary.damon, probe: { availOperations, features, goalMetrics, goalTuners, probeFilterTypes, activeInKernelUsers: inKernelUsers } };
    }),
  });

  try {
    await clock.time('setup', () => ensurePackages(REQUIRED_PACKAGES.map((p) => p.name), log), (installed) => (installed.length ? `installed ${installed.join(' ')}` : undefined));
    kernel = await clock.time(
      'kernel',
      async () => {
        if (kernelChoice.kind === 'prebuilt') return prebuiltKernel(kernelChoice.path, kernelChoice.modules, kernelChoice.kconfig);
        if (kernelChoice.kind === 'built') return artifactFromDir(kernelChoice.artifactDir);
        if (series) {
          await ensurePackages(BUILD_PACKAGES.map((p) => p.name), log);
          const b = await buildKernel({ series: series.spec, seriesFile: series.file, ...(kernelChoice.kind === 'series' && kernelChoice.tree ? { tree: kernelChoice.tree } : {}), cache, log });
          return b.artifact;
        }
        return debianKernel(cache, (kernelChoice.kind === 'debian' ? kernelChoice.id : undefined) ?? guestSpec.kernel ?? DEFAULT_DEBIAN_KERNEL, { log });
      },
      (k) => k.release,
    );
    summary.kernel = {
      release: kernel.release, source: kernel.source, vmlinuz: kernel.vmlinuz, configPath: kernel.configPath,
      configSha: hashParts([['config', readFileSync(kernel.configPath)]]).slice(0, 16),
      ...(kernel.buildId ? { buildId: kernel.buildId } : {}), ...(kernel.series ? { series: kernel.series } : {}),
    };

    // DAMON's in-kernel users (damon_stat starts at boot on Debian 7.2) hold DAMON: a suite that needs it
    // to itself keeps them off from the kernel command line, and the report says so.
    const damonUsers = inKernelDamonUsers(kernel.config);
    const keepOff = suite.damon_exclusive ? keepOffCmdline(damonUsers) : [];
    if (damonUsers.length) summary.damon = { inKernelUsers: damonUsers, keptOff: keepOff };
    if (keepOff.length) log(`  in-kernel DAMON users kept off for this suite: ${keepOff.join(' ')}`);
    const suiteCmdline = [...suite.cmdline, ...keepOff];

    // A kernel the lab cannot reach over SSH runs console suites (KUnit at boot) only.
    const consoleOnly = sshUnreachableReason(kernel.config);
    const unmet = [
      ...unmetRequirements(kernel.config, suite.kernel_config),
      ...(suite.image === 'initramfs' ? [] : unmetRequirements(kernel.config, ROOTFS_KERNEL_CONFIG).map((u) => `${u} (built in, for the ${suite.image} root disk: add the rootfs fragment to the series' configs)`)),
      ...(consoleOnly && !scenario.console ? [`${consoleOnly}, and suite ${suite.name} needs SSH (on such a kernel only console suites run, e.g. damon-kunit)`] : []),
    ];
    if (unmet.length) {
      checks.skipAll(scenario.checks, unmet.join('; '));
    } else {
      // Accelerator and requirements first: a suite that cannot run here is SKIP before anything is built.
      // KVM usability is the host's, not the kernel's: probe with the one stock kernel, so the verdict is
      // cached once per host boot rather than once per kernel built.
      const probeKernel = kernelChoice.kind === 'debian' ? kernel!.vmlinuz : await debianDefaultKernel(cache, { log }).then((k) => k.vmlinuz, () => kernel!.vmlinuz);
      let accel: { accel: Accel; reason: string };
      let host: HostCapabilities;
      if (hostSpec) {
        // A libvirt host: its own probes, over its connection (cached per host boot).
        conn = await clock.time('host', () => connectHost(hostSpec), () => hostSpec.uri);
        const probed = await clock.time('accel', () => probeHost(conn!, cache, probeKernel), (p) => p.accel);
        accel = hostAccel(guestSpec.accel, probed);
        host = probed.capabilities;
      } else {
        const qv = await qemuVersion(QEMU_BINARY);
        if (!qv) throw new InfraError(`${QEMU_BINARY} not found`, 'run `lab setup`');
        accel = await clock.time('accel', () => resolveAccel(guestSpec.accel, { cache, qemu: QEMU_BINARY, qemuVersion: qv, vmlinuz: probeKernel }), (a) => a.accel);
        host = probeHostCapabilities();
      }
      summary.guest = { name: guestSpec.name, accel: accel.accel, accelReason: accel.reason, ...(hostSpec ? { host: hostSpec.name } : {}) };
      summary.host = host;
      const boot = (req: BootRequest) => (conn ? startLibvirtGuest(req, conn) : startGuest(req));
      const unmetCaps = suite.requires
        .map((r) => unmetReason(r, { accel: accel.accel, accelReason: accel.reason, host, guestPmu: guestSpec.pmu, guestNumaNodes: guestSpec.numa?.length ?? 1 }))
        .filter((x): x is string => x !== undefined);
      if (unmetCaps.length) throw new RequirementsUnmet(unmetCaps.join('; '));

      if (consoleOnly) {
        // No init, no network: the kernel runs its KUnit suites at boot and reboots (QEMU's -no-reboot ends it).
        const bootKernel = await clock.time('vmlinux', () => bootableKernel(kernel!.vmlinuz, kernel!.config), (b) => (b.pvh ? 'PVH entry' : 'bzImage'));
        let ended = false;
        await clock.time('boot', async () => {
          guest = await boot({
            guest: guestSpec, accel: accel.accel, qemu: QEMU_BINARY, kernel: bootKernel.path, consoleOnly: true,
            extraCmdline: [...suiteCmdline, 'kunit_shutdown=reboot'], onFinding: (f) => log(`  console: ${f.kind}: ${f.title}`),
          });
          recordPlan(guest.plan);
          ended = await guest.waitConsoleRun((guestSpec.boot_timeout + suite.timeout) * 1000);
          const lost = ended ? await guest.infrastructureLoss() : undefined;
          if (lost) throw lost;
          const release = /Linux version (\S+)/.exec(guest.consoleText())?.[1];
          if (release !== kernel!.release) throw guest.bootFailure(release ? `guest ran kernel ${release}, expected ${kernel!.release}` : 'the kernel printed nothing on the console');
        }, () => 'console only, until kunit_shutdown');
        await clock.time('suite', () => scenario.run(scenarioContext(guest!, { ssh: sshUnavailable(consoleOnly), consoleOnly })));
        if (!ended) throw new SuiteTimeoutError(`the console-only guest did not end within boot_timeout + the suite's timeout (${guestSpec.boot_timeout + suite.timeout} s); tests that never reported are MISS`);
      } else {
        const gccVersion = (await probe(['gcc', '-dumpfullversion'])).stdout.trim();
        const workloads = await clock.time('workloads', async () => {
          const out: Record<string, string> = {};
          for (const w of new Set([...suite.workloads, 'tlb-churn'])) out[w] = await buildWorkload(cache, w, gccVersion);
          return out;
        });
        const keys = await ensureLabKeys(cache);
        // A scenario with boot work reads it from the console: the run starts it when the work is done and
        // connects SSH only if it asks, rather than waiting for the network and sshd first.
        const bootScript = scenario.atBoot?.({ suite, kernel: kernel! });
        const image = await clock.time(
          'image',
          () => buildInitramfs(cache, { kernel: kernel!, keys, modules: suite.modules, workloads, allModules: kernelChoice.kind !== 'debian', ...(kernel!.kselftestDir ? { kselftestDir: kernel!.kselftestDir } : {}), ...(bootScript !== undefined ? { bootScript } : {}), busybox: '/bin/busybox', dropbear: '/usr/sbin/dropbear' }),
          (i) => (i.cached ? 'cached' : i.damaged ? 'built again: the cached copy was damaged (hash mismatch)' : 'built'),
        );
        const rootfs = suite.image === 'initramfs' ? undefined : await clock.time('rootfs', () => buildRootfs(cache, suite.image, keys, log), (r) => (r.cached ? 'cached' : 'built'));
        summary.image = { ...image, ...(rootfs ? { rootfs: { path: rootfs.path, key: rootfs.key, cached: rootfs.cached } } : {}) };
        const bootKernel = await clock.time('vmlinux', () => bootableKernel(kernel!.vmlinuz, kernel!.config), (b) => (b.pvh ? 'PVH entry' : 'bzImage'));
        await clock.time('boot', async () => {
          guest = await boot({
            guest: guestSpec, accel: accel.accel, qemu: QEMU_BINARY, kernel: bootKernel.path, initrd: image.path, extraCmdline: [...suiteCmdline, ...(accel.accel === 'tcg' && suite.tlb_churn ? ['lab.tlb_churn'] : [])], ...(rootfs ? { rootDisk: rootfs.path } : {}),
            onFinding: (f) => log(`  console: ${f.kind}: ${f.title}`),
          });
          recordPlan(guest.plan);
          checks.watchGuest(() => guest!.infrastructureLoss());
          const release = await raceAbort(guest.waitReady(guestSpec.boot_timeout * 1000, bootScript !== undefined ? 'boot-script' : 'ssh'));
          if (release !== kernel!.release) throw new InfraError(`guest runs kernel ${release}, expected ${kernel!.release}`);
          // A module init was asked to load and could not: said, not silent (a suite that needs it fails later).
          const notLoaded = modprobeFailures(guest.consoleTail(400));
          if (notLoaded.length) log(`  modules that did not load at boot: ${notLoaded.join(', ')}`);
        }, () => (bootScript !== undefined ? 'until the boot script starts' : undefined));
        const connect = () => guest!.connectSsh(keys, 15000, rootfs?.hostPublicKey);
        const onDemand = bootScript !== undefined ? sshOnDemand(() => raceAbort(guest!.waitReady(guestSpec.boot_timeout * 1000)).then(connect)) : undefined;
        const connected = onDemand ? undefined : await clock.time('ssh', connect);
        await clock.time('suite', async () => {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new SuiteTimeoutError(`suite did not finish within its timeout of ${suite.timeout} s${onDemand ? ' (the boot script counts)' : ''}`)), suite.timeout * 1000);
          });
          const suiteRun = async () => {
            let ssh = connected!;
            if (onDemand) {
              // The boot script's time is the suite's: a test module that hangs is the suite's timeout, and
              // one that panics the kernel is its failure (the console says so), not a boot failure.
              const done = await guest!.waitBootScript();
              const lost = done ? undefined : await guest!.infrastructureLoss();
              if (lost) throw lost;
              ssh = done ? onDemand.ssh : sshUnavailable(`the guest ended while its boot script ran (${guest!.plan.consoleLog})`);
            }
            await scenario.run(scenarioContext(guest!, { ssh }));
          };
          try {
            await raceAbort(Promise.race([suiteRun(), timeout]));
          } finally {
            clearTimeout(timer);
          }
          const unreachable = onDemand?.failure();
          if (unreachable) throw unreachable;
        });
      }
    }
  } catch (e) {
    // Whatever a scenario threw, a guest lost to the host (QEMU killed, SSH gone) is the run's cause.
    const lost = guest && !(e instanceof LabError && e.exitCode === ExitCode.interrupted) ? await guest.infrastructureLoss() : undefined;
    if (e instanceof RequirementsUnmet) {
      checks.skipAll(scenario.checks, e.message);
    } else if (lost) {
      runError = lost;
    } else if (!(e instanceof LabError)) {
      runError = new InfraError(`internal error: ${(e as Error).stack ?? String(e)}`);
    } else runError = e;
    if (runError) {
      summary.error = { message: runError.message, ...(runError.details ? { details: runError.details } : {}) };
      log(`error: ${runError.message}`);
    }
  } finally {
    if (guest) {
      const g = guest;
      const how = await clock.time('shutdown', () => (runError?.exitCode === ExitCode.interrupted ? g.kill().then(() => 'killed' as const) : g.shutdown({ quick: opts.quickStop === true })), (h) => h);
      summary.guest!.shutdown = how;
    }
    await conn?.close();
  }

  // Results: every planned check accounted for, plus the console's verdict.
  const tests: TestRecord[] = [...checks.records];
  const reported = new Set(tests.map((t) => t.name));
  for (const name of scenario.checks) {
    if (!reported.has(name)) tests.push({ path: `${suite.name}.${name}`, name, status: runError ? 'ERROR' : 'MISS', durationMs: 0, reason: runError ? `not run: ${runError.message.split('\n')[0]}` : 'never reported' });
  }
  if (guest) {
    const findings = guest.watcher.findings;
    summary.console.findings = findings;
    // A console cut short by the host's fault was not watched to its end: no verdict either way.
    const cutShort = !findings.length && runError?.exitCode === ExitCode.infrastructure;
    tests.push({
      path: `${suite.name}.console_clean`,
      name: 'console_clean',
      status: findings.length ? 'FAIL' : cutShort ? 'ERROR' : 'PASS',
      durationMs: 0,
      ...(findings.length ? { reason: findings.map((f) => `${f.kind}: ${f.title}`).join('; ').slice(0, 500), log: clipExcerpt(findings.map((f) => f.excerpt).join('\n\n')) } : {}),
      ...(cutShort ? { reason: `not judged: the run ended early (${runError!.message.split('\n')[0]})` } : {}),
    });
  }
  summary.tests = tests;
  summary.counts = countStatuses(tests);
  summary.status = runError && tests.length === 0 ? 'ERROR' : rollUp(tests.map((t) => t.status));
  summary.exitCode = runError ? runError.exitCode : ['FAIL', 'ERROR', 'MISS'].includes(summary.status) ? ExitCode.testFailed : ExitCode.ok;
  summary.finishedAt = new Date().toISOString();
  writeReport(reportDir, summary, guest?.plan.consoleLog);
  if (guest && !opts.keep) guest.removeRunDir();
  else if (guest) guest.keepRunDir();
  return { summary, reportDir };
}

