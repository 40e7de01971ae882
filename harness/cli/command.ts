import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/errors.js';
import { shareRequest, type ShareRequest } from '../vm/shared-dir.js';

/** The options that choose a kernel and guest to boot (`lab run`, `lab up`, `lab shell`). */
export const BOOT_OPTIONS = {
  guest: { type: 'string' },
  series: { type: 'string' },
  tree: { type: 'string' },
  kernel: { type: 'string' },
  modules: { type: 'string' },
  kconfig: { type: 'string' },
  'no-snapshot': { type: 'boolean' },
  share: { type: 'string' },
  rw: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** `--share DIR [--rw]`: the host directory the guest sees at the same path, checked now (exit 2 before any boot). */
export function shareOption(v: Record<string, string | boolean | undefined>): ShareRequest | undefined {
  if (typeof v.share !== 'string') {
    if (v.rw === true) throw new UsageError('--rw makes a share writable: it needs --share DIR');
    return undefined;
  }
  return shareRequest(v.share, v.rw === true);
}

/** What every command gets besides its options: the cache, and the words after `--`. */
/** --threshold PCT, checked (default 5). */
export function thresholdOption(raw: unknown): number {
  const threshold = Number(raw ?? 5);
  if (!(threshold > 0 && threshold < 100))
    throw new UsageError(`--threshold ${String(raw)}: a percentage above 0 and below 100`);
  return threshold;
}

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
