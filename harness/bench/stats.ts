/** Pure helpers for benchmark reports. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function fmtSeconds(x: number): string {
  return `${x.toFixed(2)} s`;
}

/** The given flags and their values from an argv, to reproduce the lab's accelerator choice. */
export function argvAfter(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (flags.includes(a) && argv[i + 1]) out.push(a, argv[i + 1]!);
  });
  return out;
}

/** The Debian source the build benchmarks use: $LAB_BENCH_BASE, else 7.2 (the default base). */
export function benchBase(): string {
  return process.env.LAB_BENCH_BASE ?? 'debian-7.2';
}
