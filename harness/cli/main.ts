#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { LabError, UsageError } from '../util/errors.js';
import { installSignalHandlers } from '../util/abort.js';
import { killAllNow } from '../vm/reaper.js';
import { cacheRoot } from '../util/paths.js';
import { sweepLeftovers } from '../vm/leftovers.js';
import { escapeControls } from '../report/control-bytes.js';
import { commands, usage } from './commands.js';
import { asksForHelp, commandHelp } from './help.js';

function printError(e: LabError): void {
  process.stderr.write(`lab: ${escapeControls(e.message)}\n`);
  if (e.details) process.stderr.write(`${escapeControls(e.details)}\n`);
}

function printHelp(name: string): number {
  const text = commandHelp(commands, name);
  if (text === undefined) throw new UsageError(`unknown command '${name}'`, usage());
  process.stdout.write(text);
  return ExitCode.ok;
}

/**
 * The cache private to its owner, and what an earlier lab killed by SIGKILL left (its QEMU, run dirs, staging folders)
 * gone.
 */
function prepareCache(): void {
  // Private: the cache holds the lab's SSH keys and guest images with host keys in them. At most 0710:
  // a root lab lets its build user's group pass through (chooseBuilder); any wider mode is narrowed.
  // (Never reset to 0700 here: a build running as that user in another lab process would lose its way.)
  mkdirSync(cacheRoot(), { recursive: true, mode: 0o700 });
  const mode = statSync(cacheRoot()).mode & 0o777;
  if (mode & ~0o710) chmodSync(cacheRoot(), mode & 0o710);
  const { killed, removed, destroyed, failed } = sweepLeftovers(cacheRoot());
  if (failed.length)
    process.stderr.write(
      `lab: libvirt domain(s) ${failed.join(', ')} of a lab process that was killed could not be destroyed; their records are kept and the next lab command tries again (or: virsh -c URI destroy NAME)\n`,
    );
  if (killed.length || removed.length) {
    process.stderr.write(
      `lab: cleaned up after a lab process that was killed: ${killed.length ? `QEMU ${killed.join(', ')} stopped; ` : ''}${destroyed.length ? `libvirt domain(s) ${destroyed.join(', ')} destroyed; ` : ''}${removed.length} leftover folder(s) removed\n`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  // `lab list | head`: a reader that went away is no error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  installSignalHandlers(() => {
    killAllNow();
    process.exit(ExitCode.interrupted);
  });
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(usage());
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === 'help') return printHelp(rest[0]!);
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) throw new UsageError(`unknown command '${name}'`, usage());
  if (asksForHelp(rest)) return printHelp(name);
  // Words after `--` are a command for the guest (lab exec NAME -- CMD…): never options of the lab's.
  const dd = rest.indexOf('--');
  const args = dd < 0 ? rest : rest.slice(0, dd);
  const tail = dd < 0 ? undefined : rest.slice(dd + 1);
  let parsed;
  try {
    parsed = parseArgs({ args, options: cmd.options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`, cmd.help);
  }
  prepareCache();
  return cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, {
    cache: cacheRoot(),
    ...(tail ? { tail } : {}),
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A command is done: any child it still tracks (a QEMU some path forgot) goes now, so its pipes do
    // not hold this process open until a SIGKILL from outside, which would leave the QEMU behind.
    killAllNow();
  },
  (e: unknown) => {
    if (e instanceof LabError) {
      printError(e);
      process.exitCode = exitCodeOf(e.outcome);
    } else {
      process.stderr.write(`lab: internal error: ${escapeControls((e as Error).stack ?? String(e))}\n`);
      process.exitCode = ExitCode.infrastructure;
    }
    killAllNow();
  },
);
