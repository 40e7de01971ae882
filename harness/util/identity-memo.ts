import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { hashParts } from './hash.js';

/**
 * Answers that depend only on some host files, kept under those files' identities: a binary's `--version`, `busybox
 * --list`, `ldd dropbear`, dpkg's view of a package list, a module decompressed. A run asks the same questions of the
 * same host every time, and each answer costs a process (10–40 ms) on the way to QEMU's start. A file replaced (a
 * package upgrade) has a new inode and mtime, so its answers are asked again; a memo that does not read back is
 * asked again too. In $LAB_CACHE/memo/, one small file per answer, the oldest dropped beyond MAX_ENTRIES.
 */
const MAX_ENTRIES = 400;

/** Device, inode, size and mtime (ns) of each file, stat'ed through symlinks; undefined when one is missing. */
export function identities(files: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const st = statSync(f, { bigint: true });
      parts.push(`${f}:${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
    } catch {
      return undefined;
    }
  }
  return parts.join('\n');
}

/** A JSON answer memoised under `name` and the files' identities (computed afresh when a file is missing). */
export async function memoJson<T>(
  cache: string,
  name: string,
  files: readonly string[],
  compute: () => Promise<T>,
): Promise<T> {
  const path = memoPath(cache, name, files, 'json');
  if (!path) return compute();
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { value: T }).value;
  } catch {
    const value = await compute();
    publish(cache, path, JSON.stringify({ name, value }));
    return value;
  }
}

/** Bytes memoised the same way (a decompressed module). */
export async function memoBytes(
  cache: string,
  name: string,
  files: readonly string[],
  compute: () => Promise<Buffer>,
): Promise<Buffer> {
  const path = memoPath(cache, name, files, 'bin');
  if (!path) return compute();
  try {
    return readFileSync(path);
  } catch {
    const value = await compute();
    publish(cache, path, value);
    return value;
  }
}

/** A command name found on PATH the way a spawn finds it (absolute paths as they are); undefined if not found. */
export function onPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  if (isAbsolute(command)) return command;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, command);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not in this one
    }
  }
  return undefined;
}

function memoPath(cache: string, name: string, files: readonly string[], ext: string): string | undefined {
  const id = identities(files);
  if (id === undefined) return undefined;
  return join(
    cache,
    'memo',
    `${hashParts([
      ['name', name],
      ['files', id],
    ]).slice(0, 32)}.${ext}`,
  );
}

/** Written whole then renamed, so a reader never sees half an answer; a cache it cannot write is no error. */
function publish(cache: string, path: string, data: string | Buffer): void {
  const dir = join(cache, 'memo');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
    trim(dir);
  } catch {
    // Only the next run's speed is lost.
  }
}

function trim(dir: string): void {
  const names = readdirSync(dir);
  if (names.length <= MAX_ENTRIES) return;
  const aged = names
    .map((n) => ({ n, t: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, names.length - MAX_ENTRIES)) rmSync(join(dir, n), { force: true });
}
