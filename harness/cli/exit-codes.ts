import type { Outcome } from '../util/outcome.js';

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

const BY_OUTCOME: Readonly<Record<Outcome, ExitCode>> = {
  ok: ExitCode.ok,
  'test-failed': ExitCode.testFailed,
  usage: ExitCode.usage,
  'bad-input': ExitCode.usage,
  'patch-does-not-apply': ExitCode.usage,
  'cannot-configure': ExitCode.usage,
  'build-failed': ExitCode.buildFailed,
  'boot-failed': ExitCode.infrastructure,
  'guest-lost': ExitCode.infrastructure,
  infrastructure: ExitCode.infrastructure,
  interrupted: ExitCode.interrupted,
};

/** The one place an outcome becomes a process exit code. */
export function exitCodeOf(outcome: Outcome): ExitCode {
  return BY_OUTCOME[outcome];
}
