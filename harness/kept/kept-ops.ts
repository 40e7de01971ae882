import { constants } from 'node:os';
import { join } from 'node:path';
import { GuestSsh } from '../guest/ssh-session.js';
import { ensureLabKeys } from '../guest/lab-keys.js';
import { QmpClient } from '../vm/qmp.js';
import { readBounded } from '../util/bounded-file.js';
import { scanConsole } from '../results/console-watcher.js';
import { delay, withTimeout } from '../util/abort.js';
import { InfraError } from '../util/errors.js';
import { loadExeca } from '../util/process.js';
import { existsSync, writeFileSync } from 'node:fs';
import { forgetKeptGuest, isAlive, keptPid, type KeptGuest } from './kept-guests.js';

/** What a kept guest's user does with it from another lab process: connect, run a command, stop it. */

/** An SSH connection to a kept guest, checked against the host key the lab baked into its image. */
export async function connectKept(cache: string, g: KeptGuest, timeoutMs = 10000): Promise<GuestSsh> {
  const keys = await ensureLabKeys(cache);
  try {
    return await GuestSsh.connect({
      port: g.sshPort,
      privateKey: keys.clientPrivateKey,
      hostPublicKey: keys.hostPublicKey,
      timeoutMs,
    });
  } catch (e) {
    throw new InfraError(
      `guest ${g.name} does not answer SSH on 127.0.0.1:${g.sshPort}: ${(e as Error).message}`,
      `its console: ${g.consoleLog}`,
      'guest-lost',
    );
  }
}

/** Pure: the exit status of a guest command as a shell gives it (a signal n is 128 + n). */
export function exitStatusOf(r: { code: number; signal?: string }): number {
  if (r.signal) {
    const n = (constants.signals as Record<string, number>)[r.signal.startsWith('SIG') ? r.signal : `SIG${r.signal}`];
    return 128 + (n ?? 0);
  }
  return r.code >= 0 && r.code <= 255 ? r.code : 255;
}

/** What kills a guest under a command: the console watcher's kinds for it. */
const FATAL: ReadonlySet<string> = new Set(['panic', 'oops', 'bug', 'gpf']);

/**
 * Pure: the console's last fatal finding (the console watcher reads it, as it does for runs) with a few lines of what
 * led to it, when the console shows one.
 */
export function panicExcerpt(consoleText: string): string | undefined {
  const f = scanConsole(consoleText)
    .filter((x) => FATAL.has(x.kind))
    .at(-1);
  if (!f) return undefined;
  const before = consoleText.split('\n').slice(Math.max(0, f.line - 6), f.line - 1);
  return [...before, f.excerpt].join('\n');
}

/**
 * Runs a command line in a kept guest as `ssh host CMD` would (the words joined for the guest's shell), its output
 * streamed: the command's exit status. When the guest dies under it (a panic), the console's excerpt is written
 * to stderr and the status is 255, as vng does; a connection lost for no reason the console shows is the
 * infrastructure's (guest-lost).
 */
export async function execInKept(
  cache: string,
  g: KeptGuest,
  words: readonly string[],
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  return inKept(cache, g, out.stderr, (ssh) => ssh.stream(words.join(' '), out));
}

/**
 * Something run over a fresh SSH connection to a kept guest (a command, a shell): its exit status, or 255 with the
 * console's panic excerpt when the guest's kernel died under it.
 */
export async function inKept(
  cache: string,
  g: KeptGuest,
  stderr: NodeJS.WritableStream,
  session: (ssh: GuestSsh) => Promise<{ code: number; signal?: string }>,
): Promise<number> {
  const ssh = await connectKept(cache, g);
  const out = { stderr };
  try {
    return exitStatusOf(await session(ssh));
  } catch (e) {
    if (!(e instanceof InfraError) || e.outcome !== 'guest-lost') throw e;
    // The console is written by QEMU as the kernel dies: give it a moment to get the panic's lines out.
    for (let i = 0; i < 20; i++) {
      const excerpt = panicExcerpt(readConsole(g));
      if (excerpt) {
        out.stderr.write(`lab: the guest's kernel died while the command ran; its console:\n${excerpt}\n`);
        return 255;
      }
      await delay(100);
    }
    throw e;
  } finally {
    ssh.close();
  }
}

function readConsole(g: KeptGuest): string {
  try {
    return readBounded(g.consoleLog, 64 * 1024, 256 * 1024).text;
  } catch {
    return '';
  }
}

/**
 * Stops a kept guest: `poweroff -f` over SSH, then QMP quit, then SIGKILL, each given its time; then its record and
 * run dir are removed. Says which one stopped it.
 */
export async function stopKept(
  cache: string,
  g: KeptGuest,
): Promise<'poweroff' | 'qmp-quit' | 'killed' | 'already-exited'> {
  let how: 'poweroff' | 'qmp-quit' | 'killed' | 'already-exited' = 'already-exited';
  if (isAlive(g)) {
    how = 'poweroff';
    const ssh = await connectKept(cache, g, 3000).catch(() => undefined);
    if (ssh) {
      await withTimeout(
        ssh.exec('sync; poweroff -f').catch(() => undefined),
        3000,
      );
      ssh.close();
    }
    if (!(await gone(g, ssh ? 8000 : 0))) {
      how = 'qmp-quit';
      const qmp = g.qmpSocket ? await QmpClient.connect(g.qmpSocket, 1000).catch(() => undefined) : undefined;
      if (qmp) {
        await withTimeout(
          qmp.execute('quit').catch(() => undefined),
          1000,
        );
        qmp.close();
      }
      if (!(await gone(g, qmp ? 3000 : 0))) {
        how = 'killed';
        try {
          process.kill(keptPid(g), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        if (!(await gone(g, 5000))) throw new InfraError(`QEMU ${keptPid(g)} of guest ${g.name} does not die`);
      }
    }
  }
  await stopMaster(g);
  forgetKeptGuest(cache, g.name, g);
  return how;
}

async function gone(g: KeptGuest, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isAlive(g)) return true;
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}

/**
 * Opens an OpenSSH master connection to a kept guest (`ssh -M`, backgrounded once authenticated, in its own session)
 * whose control socket lives in the guest's run dir: `lab exec` then runs a command through it from bash, without
 * starting node or a new SSH handshake (./lab's fast path). The socket's path, or undefined when there is no ssh
 * client or it could not connect (`lab exec` then takes the slow path, and works the same).
 */
export async function startMaster(cache: string, g: KeptGuest): Promise<string | undefined> {
  const keys = await ensureLabKeys(cache);
  if (!keys.clientKeyFile) return undefined;
  const control = join(g.runDir, 'ssh.ctl');
  const knownHosts = join(g.runDir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${g.sshPort} ${keys.hostPublicKey.trim()}\n`, { mode: 0o600 });
  const execa = await loadExeca();
  const r = await execa(
    'ssh',
    [...masterOptions(control, knownHosts, keys.clientKeyFile), '-M', '-N', '-f', ...target(g)],
    {
      reject: false,
      stdin: 'ignore',
      timeout: 15000,
    },
  );
  return r.exitCode === 0 && existsSync(control) ? control : undefined;
}

/** Closes the master connection (it also ends by itself when the guest goes). */
export async function stopMaster(g: KeptGuest): Promise<void> {
  if (!g.sshControl || !existsSync(g.sshControl)) return;
  const execa = await loadExeca();
  await execa('ssh', ['-F', '/dev/null', '-S', g.sshControl, '-O', 'exit', ...target(g)], {
    reject: false,
    stdin: 'ignore',
    timeout: 5000,
  });
}

function masterOptions(control: string, knownHosts: string, keyFile: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    `ControlPath=${control}`,
    '-o',
    'ControlPersist=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    keyFile,
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ServerAliveInterval=5',
  ];
}

function target(g: KeptGuest): string[] {
  return ['-p', String(g.sshPort), 'root@127.0.0.1'];
}
