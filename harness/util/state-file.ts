import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * State and cache records (bisect.json, patchcheck.json, probe verdicts, kernel pointers) are written
 * beside their place and renamed into it, so a crash mid-write leaves the old record or the new one,
 * never half of one.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Any small file the same way: a reader sees the old content or the new, never an empty or half file. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/**
 * A record read back, or undefined when there is none. One that does not parse (a crash of an older lab
 * mid-write, a hand edit) is set aside as FILE.damaged-<time> and reported through `onDamaged`: the
 * caller starts afresh rather than failing every later run.
 */
export function readJsonRecord<T>(file: string, onDamaged: (message: string) => void = () => {}): T | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const aside = `${file}.damaged-${Date.now()}`;
    renameSync(file, aside);
    onDamaged(`${file} was damaged (${(e as Error).message}); set aside as ${aside}, starting afresh`);
    return undefined;
  }
}
