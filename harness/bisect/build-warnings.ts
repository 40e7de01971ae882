/**
 * Compiler warnings per source file, read from kbuild logs, so patchcheck can say which patch added one.
 * Builds of a series' prefixes run in one build directory, so each log only holds the files that patch
 * made make recompile: the warnings of a file are carried from build to build and replaced whenever
 * the file compiles again.
 */

export interface Warning {
  file: string;
  /** The message without line and column, so a warning that only moved is not new. */
  message: string;
  /** The line as the compiler printed it, for the report. */
  text: string;
}

export type WarningState = Map<string, Set<string>>;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** kbuild names sources relative to the build directory ("../mm/damon/core.c" when O= is a child of the tree). */
function treePath(p: string): string {
  return p.replace(/^(\.\.\/)+/, '').replace(/^\.\//, '');
}

/** Pure: the warnings of one log. */
export function parseWarnings(log: string): Warning[] {
  const out: Warning[] = [];
  for (const raw of log.split('\n')) {
    const line = raw.replace(ANSI, '');
    const m = /^(\S+?\.(?:c|h|S|rs)):\d+(?::\d+)?: warning: (.*)$/.exec(line);
    if (m) out.push({ file: treePath(m[1]!), message: m[2]!.trim(), text: line.trim() });
  }
  return out;
}

/** Pure: the C sources a log shows compiled ("  CC [M]  mm/damon/foo.o" → mm/damon/foo.c). */
export function compiledSources(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    const m = /^\s+CC(?: \[M\])?\s+(\S+)\.o$/.exec(line.replace(ANSI, ''));
    if (m) out.push(`${treePath(m[1]!)}.c`);
  }
  return out;
}

/**
 * Pure: the warnings of `log` in the files a patch touched that the state did not have before, and the
 * state after this log (each file compiled or warned about gets this log's set).
 */
export function newWarnings(
  state: WarningState,
  log: string,
  touched: readonly string[],
): { added: Warning[]; state: WarningState } {
  const next: WarningState = new Map([...state].map(([k, v]) => [k, new Set(v)]));
  const now = parseWarnings(log);
  const byFile = new Map<string, Warning[]>();
  for (const w of now) byFile.set(w.file, [...(byFile.get(w.file) ?? []), w]);
  const touchedSet = new Set(touched);
  const added: Warning[] = [];
  const seen = new Set<string>();
  for (const w of now) {
    const key = `${w.file}\0${w.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (touchedSet.has(w.file) && !state.get(w.file)?.has(w.message)) added.push(w);
  }
  for (const f of compiledSources(log)) next.set(f, new Set());
  for (const [f, ws] of byFile) next.set(f, new Set(ws.map((w) => w.message)));
  return { added, state: next };
}

/** Pure: the files a patch touches, from its diff headers. */
export function touchedFiles(patch: string): string[] {
  const out = new Set<string>();
  for (const m of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) {
    out.add(m[1]!);
    out.add(m[2]!);
  }
  return [...out];
}
