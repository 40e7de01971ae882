/** Pure: the library paths in `ldd` output (the vdso has no file and is skipped). */
export function parseLddOutput(text: string): string[] {
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow) {
      libs.push(arrow[1]!);
      continue;
    }
    const direct = /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (direct) libs.push(direct[1]!);
  }
  return libs;
}
