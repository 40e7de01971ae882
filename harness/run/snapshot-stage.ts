import { readFileSync } from 'node:fs';
import { InfraError, LabError } from '../util/errors.js';
import type { BootRequest } from '../vm/boot-guest.js';
import type { GuestHandle } from '../vm/guest-handle.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import type { Snapshot } from '../vm/snapshot-store.js';
import { randomBytes } from 'node:crypto';

/** The snapshot store as a run uses it (the real one: vm/snapshot-store.ts over the cache). */
export interface SnapshotOps {
  key(req: Omit<BootRequest, 'qemu'>): Promise<string>;
  find(key: string): Snapshot | undefined;
  stage(key: string): { dir: string; state: string };
  publish(
    staged: { dir: string; state: string },
    o: { key: string; release: string; bootConsole: string },
  ): Promise<Snapshot | undefined>;
  drop(s: Snapshot): void;
  intact(s: Snapshot): Promise<boolean>;
}

/** What the report says about snapshots for a run. */
export interface SnapshotFacts {
  key: string;
  /** Started from this snapshot's folder instead of booting. */
  restoredFrom?: string;
  /** This run booted and saved the guest for the next ones. */
  saved?: boolean;
  /** Why it booted although a snapshot was there, or why none was saved. */
  note?: string;
}

/**
 * Starts the guest from the saved one: QEMU reads the stream while the state file's hash is checked beside
 * it; running and intact, it is the run's guest. A stream that does not load, or a file changed since it was
 * saved, is deleted and undefined returned: the caller boots (and the report says why).
 */
export async function restoreGuest(o: {
  snap: Snapshot;
  snapshots: SnapshotOps;
  boot: (req: Omit<BootRequest, 'qemu'>) => Promise<GuestHandle>;
  request: Omit<BootRequest, 'qemu'>;
  timeoutMs: number;
  onGuest: (g: GuestHandle | undefined) => void;
}): Promise<{ guest?: GuestHandle; note?: string }> {
  const intact = o.snapshots.intact(o.snap).catch(() => false);
  let guest: GuestHandle | undefined;
  try {
    guest = await o.boot({
      ...o.request,
      restore: { state: o.snap.state, bootConsole: readFileSync(o.snap.consoleLog, 'utf8') },
    });
    o.onGuest(guest);
    await guest.waitRestored(o.timeoutMs);
    if (!(await intact)) throw new InfraError('its state file does not match the hash it was saved with');
    return { guest };
  } catch (e) {
    if (e instanceof LabError && e.outcome === 'interrupted') throw e;
    o.snapshots.drop(o.snap);
    if (guest) {
      await guest.kill();
      guest.removeRunDir();
      o.onGuest(undefined);
    }
    return {
      note: `snapshot ${o.snap.meta.key} did not restore (${(e as Error).message.split('\n')[0]}): deleted, booted instead`,
    };
  }
}

/** Saves the booted guest (at its ready point, before the run touches it) and publishes it under the key. */
export async function saveGuest(o: {
  guest: GuestHandle;
  snapshots: SnapshotOps;
  key: string;
  release: string;
}): Promise<Snapshot | undefined> {
  const staged = o.snapshots.stage(o.key);
  await o.guest.saveState(staged.state);
  return o.snapshots.publish(staged, { key: o.key, release: o.release, bootConsole: o.guest.consoleText() });
}

/** Programs every SSH guest carries: tlb-churn (TCG's accessed bits), reseed (a restored guest's CRNG). */
export const LAB_WORKLOADS = ['tlb-churn', 'reseed'] as const;

/**
 * Pure: the script a restored guest runs first: the host's wall clock (the saved one stopped when it was
 * saved) and a CRNG reseeded from host randomness (every guest from one snapshot starts with the same CRNG
 * state; writing to /dev/urandom alone would not rekey it: see suites/workloads/reseed.c).
 */
export function freshenScript(nowMs: number, seed: Buffer = randomBytes(64)): string {
  // busybox date takes whole seconds only: rounded, the clock is within half a second (plus the exec's latency).
  return `date -s @${Math.round(nowMs / 1000)} >/dev/null && echo ${seed.toString('base64')} | base64 -d | reseed`;
}

/** Runs the freshen script over the new connection. */
export async function freshenRestored(ssh: GuestSsh): Promise<void> {
  const r = await ssh.exec(freshenScript(Date.now()), { timeoutMs: 10000 });
  if (r.code !== 0) throw new InfraError(`the restored guest could not set its clock and seed: ${r.stderr.trim()}`);
}
