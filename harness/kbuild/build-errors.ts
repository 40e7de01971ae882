import { LabError } from '../util/errors.js';

/** Pure: the first compiler/linker errors of a build log, with a line of context after each. */
export function firstBuildErrors(log: string, max = 5): string[] {
  const lines = log.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < max; i++) {
    const l = lines[i]!;
    if (
      /(: error: |: fatal error: |undefined reference to|^ERROR: modpost: |: \*\*\* \[)/.test(l) &&
      !/^make(\[\d+\])?: \*\*\*/.test(l)
    ) {
      out.push([l, lines[i + 1] ?? '', lines[i + 2] ?? ''].filter((x) => x.trim()).join('\n'));
    }
  }
  if (out.length === 0) {
    const last = lines.filter((l) => l.trim()).slice(-8);
    if (last.length) out.push(last.join('\n'));
  }
  return out;
}

/** The kernel did not build: the first errors and the full log's path. (outcome build-failed) */
export class BuildError extends LabError {
  constructor(
    what: string,
    readonly logPath: string,
    errors: string[],
  ) {
    super(`build failed: ${what}\n  full log: ${logPath}`, 'build-failed', errors.join('\n\n'));
  }
}
