import { isAbsolute, join, resolve, dirname } from 'node:path';
import { repoRoot } from '../util/paths.js';
import { InputFileError } from '../util/errors.js';
import type { SeriesSpec } from '../schema/series.js';
import { allowedFragmentRoots, parseFragment, readFragmentFile } from './fragment-file.js';
import { parseKernelConfig } from '../kernel/kconfig.js';

export interface ConfigFragment {
  name: string;
  path: string;
  text: string;
}

/** A kernel tree's version (VERSION.PATCHLEVEL of its Makefile). */
export type TreeVersion = readonly [number, number];

/**
 * Pure: a fragment's text for a tree of `version`. A `# lab: since X.Y` line starts a block, up to the
 * next blank line, of symbols that only trees from X.Y on have (7.x added prompts an allnoconfig base
 * turns off, such as CONFIG_KUNIT_AUTORUN_ENABLED): older trees leave the block out, so the dropped-
 * symbol check still catches a symbol a tree really dropped. Without a version every block is kept.
 */
export function fragmentForVersion(text: string, version?: TreeVersion): string {
  if (!version) return text;
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const since = /^# lab: since (\d+)\.(\d+)\s*$/.exec(line);
    if (since) {
      const [maj, min] = [Number(since[1]), Number(since[2])];
      skipping = version[0] < maj || (version[0] === maj && version[1] < min);
    } else if (line.trim() === '') skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}

/** Pure: VERSION and PATCHLEVEL from a kernel Makefile's text. */
export function makefileVersion(makefile: string): TreeVersion | undefined {
  const v = /^VERSION\s*=\s*(\d+)\s*$/m.exec(makefile)?.[1];
  const p = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(makefile)?.[1];
  return v !== undefined && p !== undefined ? [Number(v), Number(p)] : undefined;
}

/**
 * The fragments a series asks for, in order, read from kernel/configs/ or relative to the series file,
 * each checked line by line (exit 2 naming file and line), its `# lab: since` blocks applied for the
 * tree's version, and kept as its canonical symbol lines only: what reaches the build and the cache keys
 * is the parsed symbols, not the raw file (a comment edit changes no key).
 */
export function resolveFragments(series: SeriesSpec, seriesFile: string, version?: TreeVersion): ConfigFragment[] {
  return readFragments(series, seriesFile).map((f) => {
    const checked = parseFragment(f.text);
    if (!checked.ok) throw new InputFileError(f.path, checked.line, `config fragment '${f.name}': ${checked.why}`);
    const kept = parseFragment(fragmentForVersion(f.text, version));
    return { ...f, text: kept.ok ? kept.lines.map((l) => `${l}\n`).join('') : '' };
  });
}

/**
 * Pure: the fragment files a series reads, in order, by name and path: the lab's base first (so a series' fragments
 * override it), then its `configs:` from kernel/configs/ or relative to the series file.
 */
export function fragmentFiles(
  series: Pick<SeriesSpec, 'base_config' | 'configs'>,
  seriesFile: string,
): Array<{ name: string; path: string }> {
  const base = series.base_config === 'lab' ? 'lab-base' : series.base_config;
  const named = (name: string) => join(repoRoot(), 'kernel', 'configs', `${name}.config`);
  return [
    ...(series.base_config !== 'defconfig' ? [{ name: base, path: named(base) }] : []),
    ...series.configs.map((name) => ({
      name,
      path:
        name.endsWith('.config') || name.includes('/')
          ? isAbsolute(name)
            ? name
            : resolve(dirname(seriesFile), name)
          : named(name),
    })),
  ];
}

function readFragments(series: SeriesSpec, seriesFile: string): ConfigFragment[] {
  const out = fragmentFiles(series, seriesFile).map((f) => readFragment(f.name, f.path, seriesFile));
  const inline = Object.entries(series.config).map(([k, v]) =>
    v === 'n' ? `# ${k} is not set` : `${k}=${kconfigValue(v)}`,
  );
  if (inline.length)
    out.push({ name: 'series.config', path: `${seriesFile} (config:)`, text: inline.join('\n') + '\n' });
  return out;
}

/** Pure: a value as a .config line needs it: tristates, numbers and hex as they are, strings quoted. */
export function kconfigValue(v: string): string {
  if (/^[ymn]$/.test(v) || /^-?\d+$/.test(v) || /^0x[0-9a-fA-F]+$/.test(v) || /^".*"$/.test(v)) return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function readFragment(name: string, path: string, seriesFile: string): ConfigFragment {
  return {
    name,
    path,
    text: readFragmentFile(name, path, seriesFile, allowedFragmentRoots(repoRoot(), dirname(resolve(seriesFile)))),
  };
}

/** Pure: every symbol the fragments set, last one wins (as merge_config.sh does). */
export function requestedSymbols(fragments: readonly ConfigFragment[]): Map<string, { value: string; from: string }> {
  // One .config reader for fragments and final configs alike (kernel/kconfig.ts).
  const want = new Map<string, { value: string; from: string }>();
  for (const f of fragments)
    for (const [symbol, value] of parseKernelConfig(f.text)) want.set(symbol, { value, from: f.name });
  return want;
}

export interface DroppedSymbol {
  symbol: string;
  wanted: string;
  got: string;
  from: string;
  /** "depends on" lines of the symbol's Kconfig entry, when found. */
  dependsOn?: string[];
}

/** Pure: requested symbols whose final value differs (the kunit_tool check, with where each came from). */
export function droppedSymbols(
  want: ReadonlyMap<string, { value: string; from: string }>,
  final: ReadonlyMap<string, string>,
): DroppedSymbol[] {
  const out: DroppedSymbol[] = [];
  for (const [symbol, w] of want) {
    const got = final.get(symbol) ?? 'n';
    if (got !== w.value) out.push({ symbol, wanted: w.value, got, from: w.from });
  }
  return out;
}

/** Pure: the depends-on lines of `config NAME` in Kconfig text. */
export function kconfigDepends(kconfigText: string, name: string): string[] | undefined {
  const lines = kconfigText.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*(menu)?config ${name}\\s*$`).test(l));
  if (at < 0) return undefined;
  const deps: string[] = [];
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*(menu)?config |^\s*(endmenu|endif|menu |choice|endchoice|source )/.test(l)) break;
    const m = /^\s*depends on (.*)$/.exec(l);
    if (m) deps.push(m[1]!.trim());
  }
  return deps;
}
