import { hashParts } from '../util/hash.js';

/** Everything a build is decided by before any make runs: repeated inputs are answered with no make at all. */
export interface BuildInputs {
  base: string;
  patches: readonly Buffer[];
  baseConfig: string;
  fragments: ReadonlyArray<{ name: string; text: string }>;
  selftests: readonly string[];
  modules: readonly string[];
  toolchain: string;
}

export function buildInputKey(i: BuildInputs): string {
  return hashParts([
    ['base', i.base],
    ...i.patches.map((p): [string, Buffer] => ['patch', p]),
    ['base_config', i.baseConfig],
    ...i.fragments.map((f): [string, string] => [`fragment:${f.name}`, f.text]),
    ['selftests', i.selftests.join(',')],
    ['modules', i.modules.join(',')],
    ['toolchain', i.toolchain],
  ]);
}

/** What names an artifact: the exact source commit, the final .config and the toolchain. */
export function artifactKey(
  commit: string,
  finalConfig: string,
  toolchain: string,
  selftests: readonly string[],
): string {
  return hashParts([
    ['commit', commit],
    ['config', finalConfig],
    ['toolchain', toolchain],
    ['selftests', selftests.join(',')],
  ]).slice(0, 24);
}
