import { readdirSync, statSync } from 'node:fs';

/** The names in a folder, or none when it is missing or unreadable (a cache being built, a sweep racing a run). */
export function readdirOrNone(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether the path is a folder (following links); false when it does not exist. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The path's mtime in ms, 0 when it does not exist. */
export function mtimeMsOrZero(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
