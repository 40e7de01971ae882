import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { readBounded } from '../util/bounded-file.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { InfraError } from '../util/errors.js';
import { delay, raceAbort, sleep, withTimeout } from '../util/abort.js';
import { ConsoleWatcher, type ConsoleFinding } from '../results/console-watcher.js';
import { GuestSsh } from '../guest/ssh-session.js';
import type { LabKeys } from '../guest/lab-keys.js';
import type { GuestSpec } from '../schema/guest.js';
import type { Duplex } from 'node:stream';
import { buildQemuArgv } from './qemu-argv.js';
import type { Accel } from './machine-plan.js';
import { FileFollower } from './console-tail.js';
import { freeLoopbackPort } from './free-port.js';
import { QmpClient } from './qmp.js';
import { trackChild, untrackChild } from './reaper.js';
import { dieWithParent } from './die-with-parent.js';
import { claimRunDir, recordQemu, releaseRunDir, RUN_DIR_PREFIX } from './leftovers.js';
import { BOOT_DONE, BOOT_SCRIPT, READY, ROOTFS_FAILED, SHARE_FAILED, SSHD_FAILED } from '../guest/guest-protocol.js';
import type { GuestHandle, GuestPlan } from './guest-handle.js';
import { shq } from '../guest/shell-quote.js';
import { timeline } from '../util/timeline.js';
import type { SharedDir } from './shared-dir.js';
import { startVirtiofsd, type Virtiofsd } from './virtiofsd.js';

export type { GuestPlan } from './guest-handle.js';

export interface BootRequest {
  guest: GuestSpec;
  accel: Accel;
  qemu: string;
  kernel: string;
  /** None for a console-only guest (see consoleOnly). */
  initrd?: string;
  /** No network and no SSH: the guest's kernel prints its results on the console and ends itself. */
  consoleOnly?: boolean;
  extraCmdline?: readonly string[];
  rootDisk?: string;
  /** Called with console findings as they appear (for live progress). */
  onFinding?: (f: ConsoleFinding) => void;
  /**
   * Start from a saved booted guest instead of booting: its migration stream, and the boot's console (the
   * run's console log starts with it; QEMU appends). QEMU's own machine only.
   */
  restore?: { state: string; bootConsole: string };
  /**
   * The guest may outlive the lab process (`lab up`, `--keep-guest`): QEMU starts in its own process group,
   * without the death signal, its stderr in the run dir (a pipe would break when the lab exits).
   */
  keepable?: boolean;
  /** A host directory the guest's init mounts at the same path (QEMU's machine only). */
  share?: SharedDir;
}

/** Console findings that make a lost guest the kernel's fault rather than the host's. */
const KERNEL_FAULTS: ReadonlySet<ConsoleFinding['kind']> = new Set([
  'panic',
  'oops',
  'bug',
  'gpf',
  'soft-lockup',
  'hung-task',
  'rcu-stall',
  'kasan',
  'flood',
]);

const fmtMiB = (bytes: number) => `${(bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 0)} MiB`;

/**
 * Console output a guest may write before the lab stops it: $LAB_CONSOLE_LIMIT_MIB (fractions too), default 512 MiB.
 */
function consoleLimitBytes(): number {
  const mib = Number(process.env.LAB_CONSOLE_LIMIT_MIB ?? 512);
  return (Number.isFinite(mib) && mib > 0 ? mib : 512) * 1024 * 1024;
}

/** What a guest runs on: a QEMU process here, or a libvirt domain on this or another host. */
export interface GuestMachine {
  /** Settles when the machine is gone, with how it ended ("exit code 0", "destroyed"). */
  readonly ended: Promise<string>;
  /** What the machine printed on stderr (QEMU), for boot failures; empty where there is none. */
  stderr(): string;
  /** Asks the machine to stop now, without the guest's help (QMP quit; virDomainDestroy). */
  quit(): Promise<void>;
  /** Stops it by force (SIGKILL; virDomainDestroy). */
  kill(): Promise<void>;
  /**
   * Once ended: true when the guest itself ended it (powered off, or rebooted under -no-reboot: QEMU's
   * exit code 0), false when something outside the guest did (a signal, a QEMU error, a crash).
   */
  endedByGuest(): boolean;
  /** Lets the machine outlive the lab process: the pid to find it by (a keepable QEMU); undefined where it cannot. */
  detach?(): number | undefined;
  /** QEMU's QMP socket, where the lab can reach it (saving and restoring guests); none on libvirt. */
  readonly qmpSocket?: string;
}

/** Opens a byte stream to a port on the machine's host's loopback (a remote host's: through its SSH). */
export type Dialer = (port: number) => Promise<Duplex>;

/** A booted guest: its machine, its console and an SSH connection. shutdown() must be called (it is idempotent). */
export class RunningGuest implements GuestHandle {
  ssh: GuestSsh | undefined;
  readonly watcher = new ConsoleWatcher();
  private exited = false;
  private exitInfo = '';
  /** Set once the lab asks the guest to stop: what ends it after that is no loss. */
  private stopping = false;
  private readonly exitPromise: Promise<void>;
  private follower: FileFollower;
  readonly bootStarted = Date.now();
  bootSeconds = 0;

  constructor(
    readonly plan: GuestPlan,
    readonly accel: Accel,
    readonly runDir: string,
    private readonly machine: GuestMachine,
    onFinding?: (f: ConsoleFinding) => void,
    private readonly dial?: Dialer,
  ) {
    this.follower = new FileFollower(plan.consoleLog, (text) => {
      for (const f of this.watcher.push(text)) onFinding?.(f);
      // A guest that floods its console is stopped: its output would fill the disk the log is on. That
      // is the guest's doing (a finding, so console_clean fails), not the host's.
      if (!this.flooded && this.follower.bytes > consoleLimitBytes()) {
        this.flooded = true;
        onFinding?.(
          this.watcher.note(
            'flood',
            `console flood: more than ${fmtMiB(consoleLimitBytes())} of console output; the lab stopped the guest`,
          ),
        );
        void this.machine.kill().catch(() => {});
      }
    });
    this.follower.start(20);
    this.exitPromise = machine.ended.then((how) => {
      this.exited = true;
      this.exitInfo = how;
    });
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /**
   * Leaves the guest running when the lab exits (a kept guest): the console is no longer followed, the reaper no
   * longer kills it, the run dir is the user's. The pid, or undefined when this machine cannot be kept.
   */
  detach(): number | undefined {
    const pid = this.machine.detach?.();
    if (pid === undefined || this.exited) return undefined;
    this.ssh?.close();
    this.finish();
    this.keepRunDir();
    return pid;
  }

  get qemuStderr(): string {
    return this.machine.stderr();
  }

  private flooded = false;

  /** The console log so far: whole, or (past 32 MiB) its head and tail around a cut marker. */
  consoleText(): string {
    this.follower.poll();
    return readBounded(this.plan.consoleLog).text;
  }

  consoleTail(lines = 40): string {
    this.follower.poll();
    return this.watcher.tail(lines);
  }

  /**
   * Waits until init prints LAB-READY (or, with `until: 'boot-script'`, starts the image's boot script),
   * QEMU exits, the kernel panics, or the timeout passes. Returns the release init printed.
   */
  async waitReady(timeoutMs: number, until: 'ssh' | 'boot-script' = 'ssh'): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const marker = until === 'ssh' ? READY : BOOT_SCRIPT;
    for (;;) {
      this.follower.poll();
      // Every 20 ms while a guest boots: the console's tail is cut once per look, not per marker.
      const tail = this.watcher.tail(200);
      // Before the ready marker, which follows it: a guest without the share asked for is not the guest asked for.
      const share = SHARE_FAILED.exec(tail);
      if (share) throw this.bootFailure(`the guest could not mount the shared directory: ${share[1]!.trim()}`);
      const m = marker.exec(tail);
      if (m) {
        timeline.mark('ready-seen');
        return m[1]!;
      }
      // The initramfs init says so when the root disk does not mount (no virtio-blk or ext4 in the kernel).
      const rootfs = ROOTFS_FAILED.exec(tail);
      if (rootfs)
        throw this.bootFailure(
          `the guest could not mount its root disk: ${rootfs[1]!.trim()} (does the kernel have CONFIG_VIRTIO_BLK=y and CONFIG_EXT4_FS=y? add the rootfs fragment to the series' configs)`,
        );
      const sshd = SSHD_FAILED.exec(tail);
      if (sshd) throw this.bootFailure(`the guest's SSH server did not start: ${sshd[1]!.trim()}`);
      const panic = this.watcher.findings.find((f) => f.kind === 'panic');
      if (panic) throw this.bootFailure(`kernel panic during boot: ${panic.title}`);
      const flood = this.watcher.findings.find((f) => f.kind === 'flood');
      if (flood) throw this.bootFailure(`the guest flooded its console during boot: ${flood.title}`);
      if (this.exited) throw this.bootFailure(`QEMU ended during boot (${this.exitInfo})`);
      this.throwOnKvmError();
      if (Date.now() > deadline)
        throw this.bootFailure(`guest did not come up within ${timeoutMs / 1000} s (boot_timeout)`);
      await sleep(20);
    }
  }

  /**
   * Waits for the end of the image's boot script: true when init said it is done, false when QEMU ended
   * first (a test module panicked the kernel, say). No deadline of its own: the suite's timeout bounds it,
   * and the loop ends with QEMU when the run stops the guest.
   */
  async waitBootScript(): Promise<boolean> {
    for (;;) {
      this.follower.poll();
      if (BOOT_DONE.test(this.watcher.tail(200))) return true;
      if (this.exited) return false;
      this.throwOnKvmError();
      await sleep(20);
    }
  }

  /**
   * A console-only guest: waits until QEMU ends by itself (kunit_shutdown=reboot with -no-reboot, or
   * panic=-1). True when it did, false when the timeout passed first (the guest is still running).
   */
  async waitConsoleRun(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exited && Date.now() < deadline) {
      this.throwOnKvmError();
      await raceAbort(this.waitExit(Math.min(200, Math.max(1, deadline - Date.now()))));
    }
    this.follower.poll();
    return this.exited;
  }

  /** QEMU says "KVM internal error" (nested hosts): the guest will never come up under KVM here. */
  private throwOnKvmError(): void {
    if (/KVM internal error/.test(this.machine.stderr()))
      throw this.bootFailure('KVM internal error: this host cannot run the guest under KVM (use accel: tcg or auto)');
  }

  bootFailure(what: string): InfraError {
    const err = this.machine.stderr().trim();
    const stderr = err ? `\n--- qemu stderr ---\n${err.split('\n').slice(-10).join('\n')}` : '';
    return new InfraError(
      what,
      `--- console tail (${this.plan.consoleLog}) ---\n${this.consoleTail(40)}${stderr}`,
      'boot-failed',
    );
  }

  /**
   * Why the guest is gone for a reason that is not the kernel's, or undefined. Asked when a check fails:
   * QEMU killed or crashed from outside, or SSH dropped while QEMU runs on, is the infrastructure's
   * fault (the run is ERROR, exit 3), never a test failure a bisection would blame on a commit. A guest
   * that ended itself (power off, reboot) or whose console shows a panic, oops or hang is the kernel's
   * doing: that stays a test failure. Waits up to settleMs for QEMU's end to be seen after SSH's.
   */
  async infrastructureLoss(settleMs = 1500): Promise<InfraError | undefined> {
    if (this.stopping) return undefined;
    const dropped = this.ssh?.dropped;
    if (!this.exited && dropped === undefined) return undefined;
    if (!this.exited) await this.waitExit(settleMs);
    this.follower.poll();
    if (this.watcher.findings.some((f) => KERNEL_FAULTS.has(f.kind))) return undefined;
    if (this.exited) {
      if (this.machine.endedByGuest()) return undefined;
      const err = this.machine.stderr().trim();
      return new InfraError(
        `QEMU exited: ${this.exitInfo}${err ? ` (${err.split('\n').slice(-1)[0]})` : ''}`,
        `${err ? `--- qemu stderr ---\n${err.split('\n').slice(-10).join('\n')}\n` : ''}--- console tail (${this.plan.consoleLog}) ---\n${this.consoleTail(20)}`,
        'guest-lost',
      );
    }
    // A guest that stopped answering (keepalive timeout) with QEMU still running has hung: the kernel's.
    if (/keepalive|timed out/i.test(dropped ?? '')) return undefined;
    return new InfraError(
      `the SSH connection to the guest dropped while QEMU still runs (${dropped}); the console shows no kernel fault`,
      `--- console tail (${this.plan.consoleLog}) ---\n${this.consoleTail(20)}`,
      'guest-lost',
    );
  }

  /** hostPublicKey: the key the guest serves (the lab's dropbear key, or a rootfs image's own). */
  async connectSsh(keys: LabKeys, timeoutMs: number, hostPublicKey = keys.hostPublicKey): Promise<GuestSsh> {
    const port = this.plan.sshPort;
    if (port === undefined) throw new InfraError('this guest has no network: it cannot be reached over SSH');
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (this.exited) throw this.bootFailure(`QEMU ended before SSH answered (${this.exitInfo})`);
      try {
        const sock = this.dial ? await raceAbort(this.dial(port)) : undefined;
        this.ssh = await raceAbort(
          GuestSsh.connect({
            port,
            privateKey: keys.clientPrivateKey,
            hostPublicKey,
            timeoutMs: Math.max(1000, deadline - Date.now()),
            ...(sock ? { sock } : {}),
          }),
        );
        return this.ssh;
      } catch (e) {
        if ((e as Error).name === 'InterruptedError') throw e;
        last = e;
        await sleep(50);
      }
    }
    throw this.bootFailure(
      `SSH on 127.0.0.1:${port} did not answer: ${(last as Error | undefined)?.message ?? 'timeout'}`,
    );
  }

  /**
   * Clean stop, in escalating steps: poweroff over SSH, then QMP quit, then SIGKILL.
   * Returns how it ended, for the report.
   */
  async shutdown(opts: { quick?: boolean } = {}): Promise<'poweroff' | 'qmp-quit' | 'killed' | 'already-exited'> {
    if (this.exited) {
      this.finish();
      return 'already-exited';
    }
    this.stopping = true;
    let how: 'poweroff' | 'qmp-quit' | 'killed' = 'killed';
    // quick: the run only wanted a verdict (a bisection step): no poweroff inside the guest.
    if (this.ssh && !opts.quick) {
      // The connection drops as the guest powers off; that is the expected answer.
      // busybox has poweroff -f; a Debian minbase rootfs has no poweroff at all, but every kernel has sysrq.
      this.ssh
        .exec('sync; poweroff -f 2>/dev/null || echo o > /proc/sysrq-trigger', { timeoutMs: 3000 })
        .catch(() => {});
      if (await this.waitExit(8000)) how = 'poweroff';
    }
    this.ssh?.close();
    if (!this.exited) {
      await withTimeout(
        this.machine.quit().catch(() => {}),
        1000,
      );
      if (await this.waitExit(3000)) how = 'qmp-quit';
    }
    if (!this.exited) {
      await this.machine.kill().catch(() => {});
      await this.waitExit(5000);
      how = 'killed';
    }
    this.finish();
    return how;
  }

  /**
   * Saves the guest to `file` (QEMU's migration stream through `exec:cat`), then lets it run on. The guest
   * is paused first and for the whole save (under half a second for a small guest), so the stream is one
   * consistent copy of a stopped machine: a live save, whose dirty-page passes race the running guest, once
   * gave a state that panicked on every restore. Nothing inside notices but the clock.
   */
  async saveState(file: string, timeoutMs = 60000): Promise<void> {
    const qmp = await this.qmp();
    try {
      await qmp.execute('stop');
      // QEMU 7.2 caps migration at 32 MiB/s by default: a file is no network link.
      await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 16 * 1024 * 1024 * 1024 });
      await qmp.execute('migrate', { uri: `exec:cat > ${shq(file)}` });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
        if (s.status === 'completed') break;
        if (s.status === 'failed' || s.status === 'cancelled')
          throw new InfraError(`saving the guest failed: ${s['error-desc'] ?? s.status}`);
        if (Date.now() > deadline) throw new InfraError(`saving the guest took longer than ${timeoutMs / 1000} s`);
        await sleep(20);
      }
    } finally {
      // The source stays paused after the save: the run goes on with it.
      await qmp.execute('cont').catch(() => {});
      qmp.close();
    }
  }

  /**
   * Waits until a guest started from a saved state runs: QEMU has read the stream and the guest goes on
   * from its ready point. A stream QEMU cannot load ends QEMU (or never gets it running): a boot failure
   * the caller answers by booting for real.
   */
  async waitRestored(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let qmp: QmpClient | undefined;
    try {
      for (;;) {
        if (this.exited) throw this.bootFailure(`QEMU could not restore the saved guest (${this.exitInfo})`);
        if (Date.now() > deadline)
          throw this.bootFailure(`the saved guest was not running after ${timeoutMs / 1000} s`);
        qmp ??= await QmpClient.connect(this.qmpPath(), 1000).catch(() => undefined);
        const s = qmp
          ? ((await qmp.execute('query-status').catch(() => undefined)) as { status?: string } | undefined)
          : undefined;
        if (s?.status === 'running') return;
        // Saved paused, a guest loads paused (QEMU keeps the source's run state): it is let go here.
        if (s?.status === 'paused') await qmp!.execute('cont');
        if (s?.status === 'internal-error' || s?.status === 'shutdown')
          throw this.bootFailure(`the restored guest is ${s.status}`);
        await sleep(10);
      }
    } finally {
      qmp?.close();
    }
  }

  private qmpPath(): string {
    if (!this.machine.qmpSocket)
      throw new InfraError('this machine has no QMP socket the lab can reach (saving guests needs QEMU here)');
    return this.machine.qmpSocket;
  }

  private qmp(): Promise<QmpClient> {
    return QmpClient.connect(this.qmpPath(), 2000);
  }

  /** Immediate stop for error paths. */
  async kill(): Promise<void> {
    this.stopping = true;
    this.ssh?.close();
    if (!this.exited) await this.machine.kill().catch(() => {});
    await this.waitExit(5000);
    this.finish();
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (this.exited) return true;
    await withTimeout(this.exitPromise, ms);
    return this.exited;
  }

  private finish(): void {
    this.follower.stop();
    this.watcher.end();
  }

  removeRunDir(): void {
    rmSync(this.runDir, { recursive: true, force: true });
  }

  /** Keeps the run dir for the user (`--keep`): no later sweep of leftovers removes it. */
  keepRunDir(): void {
    releaseRunDir(this.runDir);
  }
}

/** A QEMU process as a guest machine: QMP quit to ask, SIGKILL to force. */
function qemuMachine(child: ChildProcess, qmpSocket: string, stderrFile?: string, daemon?: Virtiofsd): GuestMachine {
  let piped = '';
  child.stderr?.on('data', (d: Buffer) => {
    piped += d.toString();
  });
  // A keepable QEMU writes its stderr to a file in the run dir (read bounded: its first 16 and last 48 KiB).
  const stderr = () => {
    if (!stderrFile) return piped;
    try {
      return readBounded(stderrFile, 16 * 1024, 48 * 1024).text;
    } catch {
      return '';
    }
  };
  let byGuest = false;
  // 'close': QEMU exited and its stderr is read to the end.
  const ended = new Promise<string>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (child.pid) untrackChild(child.pid);
      // Its virtiofsd ends when QEMU disconnects; one QEMU never connected to must not be left waiting.
      daemon?.stop();
      byGuest = !signal && code === 0;
      resolve(signal ? `killed by signal ${signal}` : `exit code ${code}`);
    }),
  );
  return {
    ended,
    qmpSocket,
    endedByGuest: () => byGuest,
    stderr,
    detach() {
      if (!stderrFile || !child.pid) return undefined;
      untrackChild(child.pid);
      child.unref();
      daemon?.detach();
      return child.pid;
    },
    async quit() {
      const qmp = await QmpClient.connect(qmpSocket, 1000);
      await withTimeout(
        qmp.execute('quit').catch(() => {}),
        1000,
      );
      qmp.close();
    },
    async kill() {
      child.kill('SIGKILL');
    },
  };
}

/** TCG's threading for the lab's guests: single unless LAB_TCG_THREAD=multi (see qemu-argv.ts). */
export function tcgThreads(): 'single' | 'multi' {
  return process.env.LAB_TCG_THREAD === 'multi' ? 'multi' : 'single';
}

/** Starts QEMU for the request (retrying once if the chosen port was taken meanwhile). */
export async function startGuest(req: BootRequest): Promise<RunningGuest> {
  for (let attempt = 0; ; attempt++) {
    // mkdtemp makes the run dir 0700: the QMP socket inside it is reachable by this user only.
    const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
    claimRunDir(runDir);
    const sshPort = req.consoleOnly ? undefined : await freeLoopbackPort();
    if (req.restore) writeFileSync(join(runDir, 'console.log'), req.restore.bootConsole);
    const daemon =
      req.share?.fs === 'virtiofs' ? await startVirtiofsd(req.share, runDir, req.keepable === true) : undefined;
    const plan = buildQemuArgv({
      ...(req.share ? { share: req.share } : {}),
      ...(daemon ? { virtiofsSocket: daemon.socket } : {}),
      ...(req.restore ? { incoming: req.restore.state } : {}),
      guest: req.guest,
      accel: req.accel,
      qemu: req.qemu,
      kernel: req.kernel,
      runDir,
      extraCmdline: req.extraCmdline ?? [],
      tcgThreads: tcgThreads(),
      initrd: req.initrd,
      ...(sshPort === undefined ? {} : { sshPort }),
      rootDisk: req.rootDisk,
    });
    // node's own spawn, not execa: loading execa (80 ms) before QEMU starts would delay every boot by as much.
    // The lab dying takes QEMU with it through setpriv's death signal, and the reaper kills it on Ctrl-C; a
    // keepable one has neither until the run ends (the reaper tracks it until it is detached), and its own
    // process group, so a Ctrl-C at the terminal reaches the lab only.
    const stderrFile = req.keepable ? join(runDir, 'qemu.stderr') : undefined;
    const [file, ...args] = req.keepable ? (plan.argv as [string, ...string[]]) : dieWithParent(plan.argv);
    const stderrFd = stderrFile ? openSync(stderrFile, 'a', 0o600) : undefined;
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', stderrFd ?? 'pipe'],
      detached: req.keepable === true,
    });
    if (stderrFd !== undefined) closeSync(stderrFd);
    if (!child.pid) {
      const [e] = (await once(child, 'error')) as [Error];
      daemon?.stop();
      rmSync(runDir, { recursive: true, force: true });
      throw new InfraError(`cannot start ${plan.argv[0]}: ${e.message}`, 'run `lab setup` to install qemu-system-x86');
    }
    // A failed kill later is an 'error' event: what matters is the exit, which 'close' reports.
    child.on('error', () => {});
    trackChild(child.pid, 'qemu guest');
    timeline.mark('qemu-spawned');
    recordQemu(runDir, child.pid);
    void GuestSsh.preload();
    const guest = new RunningGuest(
      {
        consoleLog: plan.consoleLog,
        qmpSocket: plan.qmpSocket,
        cmdline: plan.cmdline,
        argv: plan.argv,
        ...(sshPort === undefined ? {} : { sshPort }),
      },
      req.accel,
      runDir,
      qemuMachine(child, plan.qmpSocket, stderrFile, daemon),
      req.onFinding,
    );
    // Not cut short by Ctrl-C: the caller must get the guest to stop it. (Interrupted here, it used to live
    // on, and its open stderr pipe kept the lab process from exiting until something SIGKILLed it.)
    await delay(100);
    if (guest.hasExited && /Could not set up host forwarding rule/.test(guest.qemuStderr) && attempt < 2) {
      guest.removeRunDir();
      continue;
    }
    return guest;
  }
}
