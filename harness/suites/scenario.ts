import { InfraError } from '../util/errors.js';
import { GuestSsh } from '../guest/ssh-session.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import type { SuiteSpec } from '../schema/suite.js';
import type { SeriesSpec } from '../schema/series.js';
import type { CheckRecorder } from './check-recorder.js';
import type { DamonSysfs } from '../damon/sysfs-driver.js';

/** What a scenario (suites/<name>.ts) gets: the guest, the kernel, its own spec, and a recorder for checks. */
export interface ScenarioContext {
  suite: SuiteSpec;
  kernel: KernelArtifact;
  /** The series the kernel was built from, when it was (its ops_module, say). */
  series?: SeriesSpec;
  /**
   * The guest's shell. In a console-only run (consoleOnly set) every call throws, naming why; in a run
   * with boot work (atBoot) the first call connects, waiting for sshd (see sshOnDemand).
   */
  ssh: GuestSsh;
  /** Set when the kernel cannot be reached over SSH and the run reads the console alone: the reason. */
  consoleOnly?: string;
  checks: CheckRecorder;
  /** How the guest runs: 'kvm' or 'tcg' (timing-dependent tests are judged by it). */
  accel: string;
  log: (line: string) => void;
  /** The guest's console so far (built-in KUnit suites print their KTAP there at boot). */
  console: () => string;
  /** Keeps a file in the run's report folder (raw test output, samples), next to summary.json. */
  saveArtifact: (name: string, content: string) => void;
  /** Adds an SVG figure to report.html. */
  addPlot: (title: string, svg: string) => void;
  /** The DAMON sysfs driver on this guest; what its probe() finds goes into summary.json (damon.probe). */
  damonSysfs: () => DamonSysfs;
}

/** A scenario module's default export. */
export interface Scenario {
  /** Names of every check, in order; used to mark all SKIP when requirements are not met. */
  checks: readonly string[];
  /**
   * True when the scenario can run from the console alone (KUnit at boot): on a console-only kernel it
   * runs with no SSH. Other scenarios are SKIP on such a kernel, with the reason.
   */
  console?: boolean;
  /**
   * A shell script the guest's init runs at boot, before the network and SSH come up, with its output on
   * the console; or nothing. A scenario that gives one reads that output from the console, so the run
   * starts it as soon as the script is done and connects SSH only if the scenario asks for it.
   */
  atBoot?(o: { suite: SuiteSpec; kernel: KernelArtifact }): string | undefined;
  run(ctx: ScenarioContext): Promise<void>;
}

/**
 * An ssh that connects on first use: runs whose scenario read its results from the console never wait
 * for the guest's sshd. Its methods (exec, run, check, upload, download) are async, so each waits for
 * the connection first (up to boot_timeout for sshd, then the connect; timed in the suite stage); close
 * closes a connection if one was made; nothing else is offered.
 * `failure()` is the connection's error, if it failed: a guest that never answered SSH is the run's
 * infrastructure failure, not the failure of the check that happened to ask first.
 */
export function sshOnDemand(connect: () => Promise<GuestSsh>): { ssh: GuestSsh; failure: () => Error | undefined } {
  let connecting: Promise<GuestSsh> | undefined;
  let failed: Error | undefined;
  const ssh = new Proxy({} as GuestSsh, {
    get: (_target, prop) => {
      if (prop === 'close')
        return () => {
          void connecting?.then(
            (s) => s.close(),
            () => {},
          );
        };
      // Not 'then' (it is no promise), not symbols or fields (inspecting it must not connect).
      if (
        typeof prop !== 'string' ||
        prop === 'constructor' ||
        typeof (GuestSsh.prototype as unknown as Record<string, unknown>)[prop] !== 'function'
      )
        return undefined;
      return (...args: unknown[]) => {
        connecting ??= connect().catch((e: Error) => {
          failed = e;
          throw e;
        });
        return connecting.then((s) => (s[prop as keyof GuestSsh] as (...a: unknown[]) => unknown).apply(s, args));
      };
    },
  });
  return { ssh, failure: () => failed };
}

/** The ssh of a console-only run: any use is an infrastructure error that says why there is none. */
export function sshUnavailable(reason: string): GuestSsh {
  return new Proxy({} as GuestSsh, {
    get: (_target, prop) =>
      prop === 'then'
        ? undefined
        : () => {
            throw new InfraError(`no SSH to this guest: ${reason}`);
          },
  });
}
