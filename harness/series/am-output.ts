/** What git am's output says. */

/** Pure: the files git am / git apply said failed, from its output. */
export function failedFiles(output: string): string[] {
  const files = new Set<string>();
  for (const re of [
    /error: patch failed: ([^:\s]+):\d+/g,
    /error: ([^:\s]+): does not exist in index/g,
    /error: ([^:\s]+): patch does not apply/g,
    /CONFLICT \([^)]*\): Merge conflict in (\S+)/g,
    /error: ([^:\s]+): already exists in (index|working directory)/g,
  ]) {
    for (const m of output.matchAll(re)) files.add(m[1]!);
  }
  return [...files];
}
