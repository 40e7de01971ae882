import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { hashParts } from '../util/hash.js';
import type { MachinePlan } from './machine-plan.js';

/**
 * Booted guests saved to files (QEMU's migration stream), so later runs of the same kernel, image and
 * machine start from the ready point instead of booting. One folder per key in $LAB_CACHE/snapshots:
 *   state        the migration stream (`migrate exec:cat > state`), restored with `-incoming exec:cat state`
 *   console.log  the boot's console up to the ready point (a restored run's console starts with it)
 *   meta.json    key, release, size and sha256 of state, when it was made
 * A folder appears whole (made under a temporary name, then renamed) or not at all.
 */
export interface SnapshotMeta {
  key: string;
  /** The kernel release the guest booted (what `waitReady` would have returned). */
  release: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  /** What made it: QEMU's version and accelerator, for the report. */
  qemu: string;
}

export interface Snapshot {
  dir: string;
  state: string;
  consoleLog: string;
  meta: SnapshotMeta;
}

export const snapshotsRoot = (cache: string) => join(cache, 'snapshots');

/**
 * How a state file is made, part of every key: 2 since guests are paused before they are saved (a live save of a
 * 6.12 guest while another guest loaded the host restored to a kernel that jumped into init_task and panicked on
 * every restore; version 1's files are never restored again).
 */
export const SNAPSHOT_FORMAT = 2;

/**
 * Pure: the key of a booted guest: its machine plan (CPUs, memory, NUMA, PMU, the kernel command line, the
 * files it boots) without the forwarded port (the host's side, which a restore may change), the identity
 * of those files, and QEMU's version and TCG threading. Another command line word, memory size or
 * initramfs is another key.
 */
export function snapshotKey(o: {
  machine: MachinePlan;
  files: Record<string, string>;
  qemuVersion: string;
  tcgThreads: string;
}): string {
  const { sshPort: _port, ...machine } = o.machine;
  return hashParts([
    ['format', String(SNAPSHOT_FORMAT)],
    ['qemu', o.qemuVersion],
    ['tcg', o.tcgThreads],
    ['machine', JSON.stringify(machine)],
    ...Object.entries(o.files).sort(([x], [y]) => x.localeCompare(y)),
  ]).slice(0, 24);
}

/** A boot file's identity for the key: its path (cache paths are content-addressed), size and mtime. */
export function fileIdentity(path: string): string {
  const st = statSync(path);
  return `${path}:${st.size}:${Math.round(st.mtimeMs)}`;
}

/** The snapshot saved under this key, or undefined (a folder without its parts counts as none). */
export function findSnapshot(cache: string, key: string): Snapshot | undefined {
  const dir = join(snapshotsRoot(cache), key);
  const state = join(dir, 'state');
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(state) || !existsSync(metaPath)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as SnapshotMeta;
    if (meta.key !== key || statSync(state).size !== meta.bytes) return undefined;
    // Last use, for eviction: the least recently restored go first.
    const now = new Date();
    utimesSync(metaPath, now, now);
    return { dir, state, consoleLog: join(dir, 'console.log'), meta };
  } catch {
    return undefined;
  }
}

/** Where a new snapshot is written before it is published. */
export function stagingFor(cache: string, key: string): { dir: string; state: string } {
  const dir = join(snapshotsRoot(cache), `.${key}.${process.pid}.${Date.now()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, state: join(dir, 'state') };
}

/** Hashes the state file, writes meta and the boot console, and renames the folder into place (first one wins). */
export async function publishSnapshot(
  cache: string,
  staged: { dir: string; state: string },
  o: { key: string; release: string; bootConsole: string; qemu: string },
): Promise<Snapshot | undefined> {
  const meta: SnapshotMeta = {
    key: o.key,
    release: o.release,
    bytes: statSync(staged.state).size,
    sha256: await sha256Stream(staged.state),
    createdAt: new Date().toISOString(),
    qemu: o.qemu,
  };
  writeFileSync(join(staged.dir, 'console.log'), o.bootConsole);
  writeFileSync(join(staged.dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  const dir = join(snapshotsRoot(cache), o.key);
  try {
    renameSync(staged.dir, dir);
  } catch {
    // Another run published the same key first: theirs stays, ours goes. A broken one in the way (a state
    // file cut short) is no snapshot: ours replaces it.
    const theirs = findSnapshot(cache, o.key);
    if (theirs) {
      rmSync(staged.dir, { recursive: true, force: true });
      return theirs;
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(staged.dir, dir);
  }
  evictSnapshots(cache, keepMax());
  return { dir, state: join(dir, 'state'), consoleLog: join(dir, 'console.log'), meta };
}

/** Snapshots kept at most ($LAB_SNAPSHOTS_MAX, default 8): each is a guest's memory, tens of MiB. */
function keepMax(): number {
  const n = Number(process.env.LAB_SNAPSHOTS_MAX ?? 8);
  return Number.isInteger(n) && n >= 0 ? n : 8;
}

/** Removes the least recently used snapshots beyond `keep` (by meta.json's mtime, touched on each restore). */
export function evictSnapshots(cache: string, keep: number): string[] {
  const root = snapshotsRoot(cache);
  if (!existsSync(root)) return [];
  // A staging folder whose writer is gone (killed mid-save) is nobody's.
  for (const n of readdirSync(root).filter((x) => x.startsWith('.'))) {
    const pid = Number(/^\.[^.]+\.(\d+)\.\d+$/.exec(n)?.[1]);
    if (pid && !alive(pid)) rmSync(join(root, n), { recursive: true, force: true });
  }
  const all = readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => {
      try {
        return [{ n, used: statSync(join(root, n, 'meta.json')).mtimeMs }];
      } catch {
        return [{ n, used: 0 }];
      }
    })
    .sort((a, b) => b.used - a.used);
  const gone = all.slice(keep).map((x) => x.n);
  for (const n of gone) rmSync(join(root, n), { recursive: true, force: true });
  return gone;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a snapshot that failed to restore or whose state no longer matches its hash. */
export function dropSnapshot(s: Snapshot): void {
  rmSync(s.dir, { recursive: true, force: true });
}

/** Whether the state file still has the hash it was published with (read while the guest restores). */
export async function snapshotIntact(s: Snapshot): Promise<boolean> {
  return (await sha256Stream(s.state)) === s.meta.sha256;
}

function sha256Stream(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
