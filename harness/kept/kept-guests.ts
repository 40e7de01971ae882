import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/state-file.js';
import { formatIdentity, parseIdentity, processIdentity, stillRunning } from '../util/process-identity.js';
import { UsageError } from '../util/errors.js';

/**
 * Guests left running for a developer (`lab up`, `lab run --keep-guest`): one state file each in
 * $LAB_CACHE/guests/<name>.json, naming the QEMU process (pid and start time, so a recycled pid is never taken for
 * it), the forwarded SSH port, the run dir (console log, QMP socket) and the kernel. A file whose QEMU is gone is
 * stale and removed when read.
 */
export const KeptGuestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    qemu: z.string(),
    sshPort: z.number().int().min(1).max(65535),
    runDir: z.string(),
    consoleLog: z.string(),
    qmpSocket: z.string().optional(),
    release: z.string(),
    kernel: z.string(),
    guest: z.string(),
    startedAt: z.string(),
    /** The run that started it (its report folder). */
    reportDir: z.string().optional(),
    /** The host directory shown inside at the same path, and whether the guest may write to it. */
    share: z.object({ dir: z.string(), writable: z.boolean(), fs: z.enum(['virtiofs', '9p']) }).optional(),
    /** The control socket of the OpenSSH master connection to it (`lab exec`'s fast path in ./lab). */
    sshControl: z.string().optional(),
  })
  .strict();
export type KeptGuest = z.output<typeof KeptGuestSchema>;

export const GUEST_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function dir(cache: string): string {
  return join(cache, 'guests');
}

export function keptGuestFile(cache: string, name: string): string {
  return join(dir(cache), `${name}.json`);
}

/**
 * What ./lab's `exec` fast path reads with bash's `read` (no JSON parser there, no node start): the port, the master's
 * control socket and the console, one per line.
 */
export function fastPathFile(cache: string, name: string): string {
  return join(dir(cache), `${name}.ssh`);
}

export function writeFastPath(cache: string, g: KeptGuest): void {
  if (!g.sshControl) return;
  writeFileAtomic(
    fastPathFile(cache, g.name),
    `${g.sshPort}
${g.sshControl}
${g.consoleLog}
`,
    0o600,
  );
}

/** Records a kept guest; its QEMU's identity is read now (it must be running). */
export function recordKeptGuest(cache: string, g: Omit<KeptGuest, 'qemu'> & { pid: number }): KeptGuest {
  const id = processIdentity(g.pid);
  if (!id) throw new Error(`QEMU ${g.pid} of guest ${g.name} is not running`);
  const { pid: _pid, ...rest } = g;
  const kept: KeptGuest = { ...rest, qemu: formatIdentity(id) };
  mkdirSync(dir(cache), { recursive: true, mode: 0o700 });
  writeFileAtomic(keptGuestFile(cache, g.name), JSON.stringify(kept, null, 2) + '\n', 0o600);
  return kept;
}

/** Pure over the file system: the kept guests whose QEMU still runs; stale records (and their run dirs) removed. */
export function listKeptGuests(cache: string): KeptGuest[] {
  let names: string[];
  try {
    names = readdirSync(dir(cache)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: KeptGuest[] = [];
  for (const n of names.sort()) {
    const file = join(dir(cache), n);
    const g = readKept(file);
    if (g && isAlive(g)) out.push(g);
    else forgetKeptGuest(cache, n.replace(/\.json$/, ''), g);
  }
  return out;
}

/** The kept guest by name, or the only one when no name is given; a clear error otherwise. */
export function findKeptGuest(cache: string, name: string | undefined): KeptGuest {
  const all = listKeptGuests(cache);
  if (name !== undefined) {
    const g = all.find((x) => x.name === name);
    if (!g)
      throw new UsageError(
        `no running guest named '${name}'`,
        all.length ? `running: ${all.map((x) => x.name).join(', ')}` : 'start one with `lab up`',
      );
    return g;
  }
  if (all.length === 1) return all[0]!;
  throw new UsageError(
    all.length ? `several guests are running: name one (${all.map((x) => x.name).join(', ')})` : 'no guest is running',
    all.length ? undefined : 'start one with `lab up`',
  );
}

export function keptPid(g: KeptGuest): number {
  return parseIdentity(g.qemu)!.pid;
}

export function isAlive(g: KeptGuest): boolean {
  const id = parseIdentity(g.qemu);
  return id !== undefined && stillRunning(id);
}

/** Removes a guest's record and its run dir (its QEMU must be gone). */
export function forgetKeptGuest(cache: string, name: string, g?: KeptGuest): void {
  rmSync(fastPathFile(cache, name), { force: true });
  if (g?.runDir) rmSync(g.runDir, { recursive: true, force: true });
  rmSync(keptGuestFile(cache, name), { force: true });
}

function readKept(file: string): KeptGuest | undefined {
  try {
    return KeptGuestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** A name for a new guest: the one asked for (unused), else guest-N. */
export function newGuestName(cache: string, wanted: string | undefined): string {
  const used = new Set(listKeptGuests(cache).map((g) => g.name));
  if (wanted !== undefined) {
    if (!GUEST_NAME.test(wanted))
      throw new UsageError(`guest name '${wanted}': use lower-case letters, digits, '.', '_' and '-' (at most 63)`);
    if (used.has(wanted)) throw new UsageError(`a guest named '${wanted}' is already running (lab down ${wanted})`);
    return wanted;
  }
  for (let i = 1; ; i++) if (!used.has(`guest-${i}`)) return `guest-${i}`;
}
