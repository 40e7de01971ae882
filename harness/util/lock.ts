import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';
import { sleep } from './abort.js';
import { formatIdentity, parseIdentity, processIdentity, stillRunning } from './process-identity.js';

/**
 * A lock file naming its holder (pid and start time): one holder at a time, and a lock whose holder is
 * gone (a crash, SIGKILL) is taken over. The file appears with its content in one step (written beside
 * it, then hard-linked into place, which fails if it exists), so a reader never sees it empty; a stale
 * lock is moved aside by rename, and only if what was moved is the stale lock that was judged, so two
 * processes taking over the same stale lock cannot both win. Returns the release function.
 */
export function acquireLock(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  const me = formatIdentity(processIdentity(process.pid)!);
  const mine = `${path}.${process.pid}.new`;
  writeFileSync(mine, me);
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(mine, path);
        return () => releaseIfMine(path, me);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = readOrUndefined(path);
      if (held === undefined) continue; // released meanwhile: try again
      const holder = parseIdentity(held);
      if (holder && holder.pid !== process.pid && stillRunning(holder)) {
        throw new UsageError(
          `${what} is in use by another lab process (pid ${holder.pid}); wait for it or stop it`,
          `lock: ${path}`,
        );
      }
      takeOverStale(path, held);
    }
    throw new UsageError(`cannot take the lock ${path}: it changed hands too often`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Moves a stale lock aside, and puts it back if what was moved is not the one judged stale. */
function takeOverStale(path: string, judged: string): void {
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readOrUndefined(aside);
  if (moved !== judged) {
    // Another process took the stale lock over between our read and our rename: give its lock back.
    try {
      linkSync(aside, path);
    } catch {
      /* a third holder already: theirs stands */
    }
  }
  rmSync(aside, { force: true });
}

function releaseIfMine(path: string, me: string): void {
  if (readOrUndefined(path) === me) rmSync(path, { force: true });
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Like acquireLock, but waits while another live process holds the lock (saying so once), up to
 * `timeoutMs`: for work that must take turns rather than fail, such as two builds in one source tree.
 */
export async function waitForLock(
  path: string,
  what: string,
  log: (line: string) => void,
  timeoutMs = 6 * 3600_000,
): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      return acquireLock(path, what);
    } catch (e) {
      if (!(e instanceof UsageError) || !/in use by another lab process/.test(e.message) || Date.now() > deadline)
        throw e;
      if (!said) log(`waiting: ${e.message.replace(/; wait for it or stop it$/, '')}`);
      said = true;
      await sleep(500);
    }
  }
}
