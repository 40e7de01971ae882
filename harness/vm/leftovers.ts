import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../util/state-file.js';
import { readdirOrNone } from '../util/fs-probe.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatIdentity,
  parseIdentity,
  processIdentity,
  stillRunning,
  type ProcessIdentity,
} from '../util/process-identity.js';
import { destroyDomainNow, type DestroyOutcome } from './reaper.js';

/**
 * What a lab process killed by SIGKILL leaves behind, and its removal by the next lab command.
 *
 * A guest's run dir (`$TMPDIR/damon-lab-*`) holds an `owner` file naming the lab process (pid and start
 * time) and a `qemu.pid` file naming the QEMU it started. QEMU is also started under
 * `setpriv --pdeathsig KILL`, so it normally dies with the lab; the sweep is for what that misses (a QEMU
 * that outlived a crash of setpriv's parent thread, a libvirt-less host without prctl). The cache's
 * staging entries carry their writer's pid in their name (`X.tmp-PID`, `.rootfs-PID`).
 * Everything is found by the files the lab wrote, never by process name, and only when its owner is gone.
 */
export const RUN_DIR_PREFIX = 'damon-lab-';
const OWNER = 'owner';
const QEMU_PID = 'qemu.pid';
const DOMAIN = 'libvirt-domain';

/** Marks a fresh run dir as this process's, so a sweep leaves it alone while this process lives. */
export function claimRunDir(runDir: string): void {
  writeFileAtomic(join(runDir, OWNER), formatIdentity(processIdentity(process.pid)!), 0o600);
}

/** Records the QEMU started for a run dir (called right after spawn). */
export function recordQemu(runDir: string, pid: number): void {
  const id = processIdentity(pid);
  if (id) writeFileAtomic(join(runDir, QEMU_PID), formatIdentity(id), 0o600);
}

/** Records the transient libvirt domain started for a run dir (its URI and name, one per line). */
export function recordDomain(runDir: string, uri: string, name: string): void {
  writeFileAtomic(join(runDir, DOMAIN), `${uri}\n${name}\n`, 0o600);
}

/** A run dir kept for the user (`--keep`): it is theirs now, and no sweep removes it. */
export function releaseRunDir(runDir: string): void {
  rmSync(join(runDir, OWNER), { force: true });
}

export interface SweepResult {
  killed: number[];
  removed: string[];
  /** libvirt domains ("URI NAME") destroyed. */
  destroyed: string[];
  /** libvirt domains that still exist and could not be destroyed: their run dirs are kept for the next sweep. */
  failed: string[];
}

/** How the sweep destroys a domain; replaceable in tests (default: virsh). */
export type DomainDestroyer = (uri: string, name: string) => DestroyOutcome;

/** How long the sweep keeps trying a domain libvirt is still starting (it refuses destroy until it runs). */
const DESTROY_TRIES = 20;
const DESTROY_PAUSE_MS = 500;

/** Removes the run dirs and staging entries of lab processes that are gone, killing their QEMUs first. */
export function sweepLeftovers(
  cache: string,
  tmp = tmpdir(),
  destroy: DomainDestroyer = destroyDomainNow,
  pauseMs = DESTROY_PAUSE_MS,
): SweepResult {
  const result: SweepResult = { killed: [], removed: [], destroyed: [], failed: [] };
  for (const name of readdirOrNone(tmp)) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(tmp, name);
    const owner = readIdentity(join(dir, OWNER));
    if (!owner || stillRunning(owner)) continue;
    const qemu = readIdentity(join(dir, QEMU_PID));
    if (qemu && stillRunning(qemu)) {
      try {
        process.kill(qemu.pid, 'SIGKILL');
        result.killed.push(qemu.pid);
      } catch {
        /* gone meanwhile */
      }
    }
    const domain = readDomain(join(dir, DOMAIN));
    if (domain) {
      const outcome = destroyUntilDone(domain, destroy, pauseMs);
      const label = `${domain.uri} ${domain.name}`;
      if (outcome === 'destroyed') result.destroyed.push(label);
      if (outcome === 'failed' || outcome === 'refused') {
        // The record is the only trace of that domain: removing it would leave the guest running unseen.
        result.failed.push(label);
        continue;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    result.removed.push(dir);
  }
  for (const entry of stagingEntries(cache, 3)) {
    if (processIdentity(entry.pid)) continue;
    rmSync(entry.path, { recursive: true, force: true });
    result.removed.push(entry.path);
  }
  return result;
}

/**
 * A lab killed while libvirt was creating its domain leaves a domain that refuses destroy until it runs: tried
 * again for a while (the sweep runs at a command's start, where a few seconds are acceptable and rare).
 */
function destroyUntilDone(
  domain: { uri: string; name: string },
  destroy: DomainDestroyer,
  pauseMs: number,
): DestroyOutcome {
  for (let i = 0; ; i++) {
    const outcome = destroy(domain.uri, domain.name);
    if (outcome !== 'refused' || i + 1 >= DESTROY_TRIES) return outcome;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
  }
}

/** The pid in a staging entry's name, or undefined for a name that is not one. */
export function stagingPid(name: string): number | undefined {
  const m = /\.tmp-(?:.*-)?(\d+)$/.exec(name) ?? /^\.rootfs-(\d+)$/.exec(name) ?? /\.deb-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Staging entries up to `depth` levels into the cache, not descending into source trees or symlinks. */
function stagingEntries(dir: string, depth: number): { path: string; pid: number }[] {
  const out: { path: string; pid: number }[] = [];
  const names = readdirOrNone(dir);
  if (names.includes('.git') || names.includes('Makefile')) return out;
  for (const name of names) {
    const path = join(dir, name);
    const pid = stagingPid(name);
    if (pid !== undefined) {
      out.push({ path, pid });
      continue;
    }
    if (depth > 1 && isRealDir(path)) out.push(...stagingEntries(path, depth - 1));
  }
  return out;
}

function isRealDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readIdentity(file: string): ProcessIdentity | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return parseIdentity(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function readDomain(file: string): { uri: string; name: string } | undefined {
  if (!existsSync(file)) return undefined;
  const [uri, name] = readFileSync(file, 'utf8').split('\n');
  // Names the lab gives its domains only: the sweep never destroys anything it did not create.
  return uri && name && /^damon-lab-[A-Za-z0-9-]+$/.test(name) && /^qemu(\+ssh)?:\/\//.test(uri)
    ? { uri, name }
    : undefined;
}
