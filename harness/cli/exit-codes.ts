/** Exit codes of `lab`, documented in README.md. Scripts and CI rely on them. */
export const ExitCode = {
  ok: 0,
  testFailed: 1,
  usage: 2,
  infrastructure: 3,
  /** The kernel (or a selftest) did not build. */
  buildFailed: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
