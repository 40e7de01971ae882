import { realpathSync, statSync, readFileSync } from 'node:fs';
import { relative, isAbsolute, delimiter } from 'node:path';
import { InputFileError } from '../util/errors.js';

/** At most this much per fragment: the largest defconfig of the tree is a few tens of KiB. */
export const MAX_FRAGMENT_BYTES = 1024 * 1024;

const SYMBOL = /^CONFIG_[A-Za-z0-9_]+$/;
const VALUE = /^(?:[ymn]|-?\d+|0x[0-9a-fA-F]+|"(?:[^"\\\n]|\\.)*")$/;

/**
 * Pure: a fragment's text checked line by line, and what the lab keeps of it: `CONFIG_X=value` lines
 * and `# CONFIG_X is not set` lines, canonical; blank lines and comments (and the lab's `# lab: since`
 * markers, applied before this) dropped. Anything else is not a fragment: the 1-based line number and
 * why, never the line's text (the file may be anything at all, and errors end up in CI logs).
 */
export function parseFragment(text: string): { ok: true; lines: string[] } | { ok: false; line: number; why: string } {
  const lines: string[] = [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  for (const [i, raw] of all.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') continue;
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) {
      lines.push(`# ${unset[1]} is not set`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0)
      return {
        ok: false,
        line: i + 1,
        why: 'not a CONFIG_X=value line, a "# CONFIG_X is not set" line, a comment or blank',
      };
    const [sym, value] = [line.slice(0, eq), line.slice(eq + 1)];
    if (!SYMBOL.test(sym))
      return {
        ok: false,
        line: i + 1,
        why: 'the name before "=" is not a CONFIG_ symbol (CONFIG_ then letters, digits, _)',
      };
    if (!VALUE.test(value))
      return { ok: false, line: i + 1, why: `the value of ${sym} is not y, m, n, a number, 0x… or a "quoted string"` };
    lines.push(`${sym}=${value}`);
  }
  return { ok: true, lines };
}

/**
 * The folders a fragment may come from: the project, the series file's own folder, and those the user
 * names in LAB_FRAGMENT_DIRS (colon-separated). A series names fragments; it does not get to name any
 * file of the machine (as root, /etc/shadow is a readable file).
 */
export function allowedFragmentRoots(
  projectRoot: string,
  seriesDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const extra = (env.LAB_FRAGMENT_DIRS ?? '').split(delimiter).filter(Boolean);
  return [projectRoot, seriesDir, ...extra];
}

/** Pure: `path` lies within `root` (both real paths). */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * A fragment file read as input: a regular file of at most MAX_FRAGMENT_BYTES, within an allowed folder
 * (after symlinks), each line a fragment's. Exit 2 naming the file (and line) otherwise.
 */
export function readFragmentFile(name: string, path: string, seriesFile: string, roots: readonly string[]): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new InputFileError(seriesFile, undefined, `config fragment '${name}' not found (${path})`);
  }
  const realRoots = roots.flatMap((r) => {
    try {
      return [realpathSync(r)];
    } catch {
      return [];
    }
  });
  if (!realRoots.some((r) => within(r, real))) {
    throw new InputFileError(
      seriesFile,
      undefined,
      `config fragment '${name}' (${real}) is outside the project and the series' folder; to use fragments from there, name the folder in LAB_FRAGMENT_DIRS`,
    );
  }
  const st = statSync(real);
  if (!st.isFile())
    throw new InputFileError(seriesFile, undefined, `config fragment '${name}' (${real}) is not a regular file`);
  if (st.size > MAX_FRAGMENT_BYTES)
    throw new InputFileError(
      seriesFile,
      undefined,
      `config fragment '${name}' (${real}) is ${st.size} bytes, more than the ${MAX_FRAGMENT_BYTES} a fragment may have`,
    );
  return readFileSync(real, 'utf8');
}
