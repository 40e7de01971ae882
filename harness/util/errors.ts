import { ExitCode } from '../cli/exit-codes.js';

/** Base of every error the lab reports to a person: a message that says what to do next, and an exit code. */
export class LabError extends Error {
  readonly exitCode: ExitCode;
  /** Extra lines shown below the message (e.g. a console tail). */
  readonly details: string | undefined;
  constructor(message: string, exitCode: ExitCode, details?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Bad command line, unknown suite or guest. Exit 2. */
export class UsageError extends LabError {
  constructor(message: string, details?: string) {
    super(message, ExitCode.usage, details);
  }
}

/** A file the user wrote (guest, suite, series YAML) is wrong. Names file, line and key. Exit 2. */
export class ConfigError extends LabError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`, ExitCode.usage);
    this.file = file;
    this.line = line;
  }
}

/** The machinery failed: a tool is missing, a guest never booted, QEMU died. Exit 3. */
export class InfraError extends LabError {
  constructor(message: string, details?: string) {
    super(message, ExitCode.infrastructure, details);
  }
}

/** The user pressed Ctrl-C or the lab got SIGTERM. */
export class InterruptedError extends LabError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, ExitCode.interrupted);
  }
}

/** A suite that overran its timeout: the kernel or the test hung, which is a test result. Exit 1. */
export class SuiteTimeoutError extends LabError {
  constructor(message: string) {
    super(message, ExitCode.testFailed);
  }
}
