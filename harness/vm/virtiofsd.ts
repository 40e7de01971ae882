import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../util/errors.js';
import { delay } from '../util/abort.js';
import { readBounded } from '../util/bounded-file.js';
import { trackChild, untrackChild } from './reaper.js';
import { dieWithParent } from './die-with-parent.js';
import { findVirtiofsd, virtiofsdArgv, type SharedDir } from './shared-dir.js';

/** A running virtiofsd serving one guest's share. It exits by itself when its QEMU disconnects. */
export interface Virtiofsd {
  socket: string;
  pid: number;
  /** Stops it (when its QEMU never connected, or the lab stops the guest by force). */
  stop(): void;
  /** Lets it outlive the lab with its kept QEMU. */
  detach(): void;
}

/**
 * Starts virtiofsd for the share, its socket and log in the guest's run dir, and waits until it listens
 * (QEMU connects to the socket at start and fails when it is not there yet). `keepable`: it outlives the lab
 * with a kept guest (own process group, no death signal); otherwise it dies with the lab like QEMU.
 */
export async function startVirtiofsd(share: SharedDir, runDir: string, keepable: boolean): Promise<Virtiofsd> {
  const bin = findVirtiofsd();
  if (!bin)
    throw new InfraError(
      'no virtiofsd on this machine: sharing a directory with a virtiofs kernel needs it',
      'install it: apt-get install virtiofsd (Debian 13 and later) or qemu-system-common (Debian 12 has /usr/lib/qemu/virtiofsd)',
    );
  const socket = join(runDir, 'virtiofsd.sock');
  const logFile = join(runDir, 'virtiofsd.log');
  const argv = virtiofsdArgv(bin, share, socket);
  const [file, ...args] = keepable ? (argv as [string, ...string[]]) : dieWithParent(argv);
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(file, args, { stdio: ['ignore', fd, fd], detached: keepable });
  closeSync(fd);
  child.on('error', () => {});
  const log = () => {
    try {
      return readBounded(logFile, 4096, 4096).text.trim();
    } catch {
      return '';
    }
  };
  if (!child.pid) throw new InfraError(`cannot start ${bin}`, log() || undefined);
  const pid = child.pid;
  trackChild(pid, 'virtiofsd');
  let exited = false;
  child.once('exit', () => {
    exited = true;
    untrackChild(pid);
  });
  const stop = () => {
    if (!exited) child.kill('SIGKILL');
  };
  for (let waited = 0; !existsSync(socket); waited += 10) {
    if (exited || waited >= 5000) {
      stop();
      throw new InfraError(
        `virtiofsd did not start serving ${share.dir}${exited ? '' : ' within 5 s'}`,
        log() || `see ${logFile}`,
      );
    }
    await delay(10);
  }
  return {
    socket,
    pid,
    stop,
    detach() {
      untrackChild(pid);
      child.unref();
    },
  };
}
