import type { Outcome } from './outcome.js';

/**
 * Base of every error the lab reports to a person: a message that says what to do next, and the outcome it
 * stands for (cli/ alone maps that to an exit code).
 */
export class LabError extends Error {
  readonly outcome: Outcome;
  /** Extra lines shown below the message (e.g. a console tail). */
  readonly details: string | undefined;
  constructor(message: string, outcome: Outcome, details?: string) {
    super(message);
    this.name = new.target.name;
    this.outcome = outcome;
    this.details = details;
  }
}

/** Bad command line, unknown suite or guest. */
export class UsageError extends LabError {
  constructor(message: string, details?: string) {
    super(message, 'usage', details);
  }
}

/**
 * A file the user wrote is wrong: a guest, suite, series or matrix YAML, a config fragment, a patch file, a
 * lab config. Names file, line and key. (Not "config": that word is the kernel's .config here.)
 */
export class InputFileError extends LabError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, 'bad-input');
    this.file = file;
    this.line = line;
  }
}

/**
 * The machinery failed: a tool is missing, a guest never booted ('boot-failed'), QEMU died or SSH dropped
 * ('guest-lost'). Never a test's failure.
 */
export class InfraError extends LabError {
  constructor(
    message: string,
    details?: string,
    outcome: 'infrastructure' | 'boot-failed' | 'guest-lost' = 'infrastructure',
  ) {
    super(message, outcome, details);
  }
}

/** The user pressed Ctrl-C or the lab got SIGTERM. */
export class InterruptedError extends LabError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, 'interrupted');
  }
}

/** A suite that overran its timeout: the kernel or the test hung, which is a test result. */
export class SuiteTimeoutError extends LabError {
  constructor(message: string) {
    super(message, 'test-failed');
  }
}
