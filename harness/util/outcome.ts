/**
 * What happened to a command or a stage, by name. Stages return or throw these; only `cli/exit-codes.ts`
 * turns one into the process's exit code (as kunit.py's handlers turn a KunitStatus into sys.exit), so a
 * reader of a run's summary or a bisect step asks "did it build?", never "was it exit 4?".
 */
export const OUTCOMES = [
  'ok',
  /** A test failed, errored or never reported; a suite that overran its timeout (the kernel or test hung). */
  'test-failed',
  /** A bad command line, an unknown suite or guest. */
  'usage',
  /** A file the user wrote (guest, suite, series YAML, config fragment, mbox) is wrong (InputFileError). */
  'bad-input',
  /** A patch of the series does not apply to its base. */
  'patch-does-not-apply',
  /** The tree cannot give the configuration asked for (make dropped a symbol the fragments set). */
  'cannot-configure',
  /** The kernel or a selftest did not build. */
  'build-failed',
  /** The guest never reached the point the run waits for. */
  'boot-failed',
  /** The guest was lost to the host mid-run (QEMU killed, SSH gone, host out of memory). */
  'guest-lost',
  /** Any other fault of the machinery: a tool missing, a cache unusable, a host unreachable. */
  'infrastructure',
  /** Ctrl-C or SIGTERM. */
  'interrupted',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Faults of the host or the lab, not of the kernel under test: retried, never counted as a test's failure. */
export function isInfrastructure(o: Outcome): boolean {
  return o === 'infrastructure' || o === 'boot-failed' || o === 'guest-lost';
}

/** The user's input was refused before anything ran (or the tree cannot be configured as asked). */
export function isInputError(o: Outcome): boolean {
  return o === 'usage' || o === 'bad-input' || o === 'patch-does-not-apply' || o === 'cannot-configure';
}
