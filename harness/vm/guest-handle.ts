import type { ConsoleFinding } from '../results/console-watcher.js';
import type { InfraError } from '../util/errors.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import type { LabKeys } from '../guest/lab-keys.js';

/**
 * What a run does with a booted guest, whatever machine it runs on (QEMU here, a libvirt domain): the seam
 * the run's orchestration is tested through without QEMU. RunningGuest is the real one.
 */
export interface GuestHandle {
  readonly plan: GuestPlan;
  readonly watcher: { readonly findings: readonly ConsoleFinding[] };
  consoleText(): string;
  consoleTail(lines?: number): string;
  /** Until the init says it is ready (or its boot script started): the kernel release it runs. */
  waitReady(timeoutMs: number, until?: 'ssh' | 'boot-script'): Promise<string>;
  /** Until the boot script is done: false when the guest ended first. */
  waitBootScript(): Promise<boolean>;
  /** Until a console-only guest ends itself: false on timeout. */
  waitConsoleRun(timeoutMs: number): Promise<boolean>;
  bootFailure(what: string): InfraError;
  /** Why the guest is gone for a reason that is not the kernel's, or undefined. */
  infrastructureLoss(): Promise<InfraError | undefined>;
  connectSsh(keys: LabKeys, timeoutMs: number, hostPublicKey?: string): Promise<GuestSsh>;
  shutdown(opts?: { quick?: boolean }): Promise<'poweroff' | 'qmp-quit' | 'killed' | 'already-exited'>;
  /** Saves the running guest's whole state to a file and lets it run on (QEMU here only). */
  saveState(file: string): Promise<void>;
  /** Until a guest started from a saved state runs (a boot failure when QEMU cannot load it). */
  waitRestored(timeoutMs: number): Promise<void>;
  /** The QEMU run dir (its paths are part of the argv; a snapshot's key leaves them out). */
  readonly runDir: string;
  kill(): Promise<void>;
  /** Leaves the guest running past the lab process: its pid, or undefined where it cannot be kept. */
  detach?(): number | undefined;
  removeRunDir(): void;
  keepRunDir(): void;
}

/** How a guest was started, for the report and for reaching it. */
export interface GuestPlan {
  /** A local file holding the serial console (a remote host's console is mirrored into it). */
  consoleLog: string;
  cmdline: string;
  /** The QEMU argv (QEMU backend) or the domain XML (libvirt backend). */
  argv?: string[];
  domainXml?: string;
  /** QEMU's QMP socket, where this machine has one the lab reaches (not libvirt's). */
  qmpSocket?: string;
  /** The forwarded SSH port on the machine's host; none for a console-only guest. */
  sshPort?: number;
  /** The libvirt host, when not this machine's QEMU. */
  host?: string;
}
