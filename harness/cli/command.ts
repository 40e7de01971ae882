import type { ParseArgsConfig } from 'node:util';

/** What every command gets besides its options: the cache, and the words after `--`. */
export interface CommandContext {
  cache: string;
  /** The words after the first `--` (a command for the guest), kept out of option parsing. */
  tail?: string[];
}

/** One `lab` subcommand: its help, its options, and the handler that turns what happened into the exit code. */
export interface Command {
  summary: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
    ctx: CommandContext,
  ): Promise<number>;
}
