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

/** A file the user wrote (guest, suite, series YAML) is wrong. Names file, line and key. */
export class ConfigError extends LabError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, 'config-error');
    this.file = file;
    this.line = line;
  }
}

/**
 * The machinery failed: a tool is missing, a guest never booted ('boot-failed'), QEMU died or SSH dropped
 * ('guest-lost'). Never a test's failure.
 */
export class InfraError extends LabError {
  constructor(message: string, details?: string, outcome: 'infrastructure' | 'boot-failed' | 'guest-lost' = 'infrastructure') {
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
