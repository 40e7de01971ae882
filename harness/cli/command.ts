import type { ParseArgsConfig } from 'node:util';

/** The options that choose a kernel and guest to boot (`lab run`, `lab up`, `lab shell`). */
export const BOOT_OPTIONS = {
  guest: { type: 'string' },
  series: { type: 'string' },
  tree: { type: 'string' },
  kernel: { type: 'string' },
  modules: { type: 'string' },
  kconfig: { type: 'string' },
  'no-snapshot': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

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
