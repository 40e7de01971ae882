import type { Command } from './commands.js';

/** `-h`/`--help` anywhere before a `--` (words after it belong to a command run in the guest). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

/** One command's usage and what it does, or undefined for a name that is no command. */
export function commandHelp(
  commands: Record<string, Pick<Command, 'help' | 'summary'>>,
  name: string,
): string | undefined {
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  return cmd ? `${cmd.help}\n\n${cmd.summary}\n` : undefined;
}
