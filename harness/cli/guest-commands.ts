import { BOOT_OPTIONS, shareOption, type Command } from './command.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { UsageError } from '../util/errors.js';
import { escapeControls } from '../report/control-bytes.js';
import { runSuite, type KernelChoice } from '../run/run-suite.js';
import { findKeptGuest, listKeptGuests, newGuestName, type KeptGuest } from '../kept/kept-guests.js';
import { connectKept, execInKept, inKept, stopKept } from '../kept/kept-ops.js';
import { copyIn, copyOut, parseCopyEnd } from '../kept/guest-copy.js';

const err = (line: string) => process.stderr.write(escapeControls(line) + '\n');
const out = (line: string) => process.stdout.write(escapeControls(line) + '\n');

type Values = Record<string, string | boolean | undefined>;

const BOOT_USAGE =
  '[--guest NAME|FILE] [--series NAME|FILE [--tree PATH] | --kernel debian-7.2|BZIMAGE|BUILDDIR [--modules DIR] [--kconfig FILE]] [--share DIR [--rw]] [--no-snapshot] [--quiet]\n  --share DIR  the host directory DIR inside the guest at the same path (read-only unless --rw; such a guest always boots: QEMU cannot save it)';

/** The developer's loop: a guest kept running between commands (`lab up`), and the commands that use it. */
export function guestCommands(kernelChoice: (v: Values) => KernelChoice): Record<string, Command> {
  /**
   * Boots a guest and keeps it as `name`: the boot suite's one check (the guest runs the kernel asked for) is the
   * proof it is usable. No guest (the reason said) when it did not come up, with the exit code to give.
   */
  async function bootKept(cache: string, name: string, v: Values): Promise<{ g?: KeptGuest; code: number }> {
    const share = shareOption(v);
    const { summary, reportDir } = await runSuite({
      ...(share ? { share } : {}),
      suite: 'boot',
      kernel: kernelChoice(v),
      ...(typeof v.guest === 'string' ? { guest: v.guest } : {}),
      keepGuest: name,
      ...(v['no-snapshot'] === true ? { snapshots: 'off' as const } : {}),
      log: v.quiet ? () => {} : err,
    });
    const g = listKeptGuests(cache).find((x) => x.name === name);
    if (summary.status === 'PASS' && g) return { g, code: ExitCode.ok };
    if (g) await stopKept(cache, g);
    err(`lab: the guest did not come up${summary.error ? `: ${summary.error.message}` : ''} (report: ${reportDir})`);
    return { code: summary.outcome === 'ok' ? ExitCode.testFailed : exitCodeOf(summary.outcome) };
  }
  const asksToBoot = (v: Values) => ['guest', 'series', 'kernel', 'share'].some((k) => typeof v[k] === 'string');

  return {
    up: {
      summary: 'boot a guest and keep it running (lab status, lab shell, lab exec, lab down)',
      help: `usage: lab up [NAME] ${BOOT_USAGE}\n  NAME  what to call it (default guest-N)`,
      options: BOOT_OPTIONS,
      async run(v, p, { cache }) {
        if (p.length > 1) throw new UsageError(`lab up takes one name (got ${p.join(' ')})`);
        const { g, code } = await bootKept(cache, newGuestName(cache, p[0]), v);
        if (g)
          out(
            `${g.name}: up, kernel ${g.release}, ssh 127.0.0.1:${g.sshPort}${g.share ? `, ${g.share.dir} shared ${g.share.writable ? 'writable' : 'read-only'}` : ''}`,
          );
        return code;
      },
    },
    status: {
      summary: 'the guests kept running (lab up, lab run --keep-guest)',
      help: 'usage: lab status [--json]',
      options: { json: { type: 'boolean' } },
      async run(v, p, { cache }) {
        if (p.length) throw new UsageError('lab status takes no arguments');
        const guests = listKeptGuests(cache);
        if (v.json) out(JSON.stringify(guests, null, 2));
        else if (!guests.length) out('no guest is running (lab up starts one)');
        else
          for (const g of guests)
            out(
              `${g.name.padEnd(12)} ${g.release.padEnd(28)} ssh 127.0.0.1:${g.sshPort}  guest ${g.guest}  since ${g.startedAt}${g.share ? `  share ${g.share.dir} (${g.share.writable ? 'rw' : 'ro'})` : ''}  console ${g.consoleLog}`,
            );
        return ExitCode.ok;
      },
    },
    down: {
      summary: 'stop a kept guest (poweroff, then QMP quit, then kill) and remove what it left',
      help: 'usage: lab down [NAME | --all]',
      options: { all: { type: 'boolean' } },
      async run(v, p, { cache }) {
        if (p.length > 1) throw new UsageError(`lab down takes one name (got ${p.join(' ')})`);
        const guests = v.all ? listKeptGuests(cache) : [findKeptGuest(cache, p[0])];
        for (const g of guests) out(`${g.name}: down (${await stopKept(cache, g)})`);
        return ExitCode.ok;
      },
    },
    shell: {
      summary:
        'a shell in a kept guest (a pty: job control, window size, Ctrl-C to the guest); with none running, a guest booted for the session and stopped after',
      help: `usage: lab shell [NAME] [-c CMD] ${BOOT_USAGE}\n  -c CMD  run CMD in the pty instead of a login shell; its exit status is the lab's\n  kernel or guest options boot a guest for the session even when others run`,
      options: { ...BOOT_OPTIONS, command: { type: 'string', short: 'c' } },
      async run(v, p, { cache }) {
        if (p.length > 1) throw new UsageError(`lab shell takes one guest name (got ${p.join(' ')})`);
        const session = asksToBoot(v) || (p[0] === undefined && listKeptGuests(cache).length === 0);
        if (session && p[0] !== undefined)
          throw new UsageError('lab shell: a guest name, or options to boot one, not both');
        let g = session ? undefined : findKeptGuest(cache, p[0]);
        if (!g) {
          const booted = await bootKept(cache, newGuestName(cache, undefined), { ...v, quiet: true });
          if (!booted.g) return booted.code;
          g = booted.g;
        }
        try {
          return await inKept(cache, g, process.stderr, (ssh) =>
            ssh.interactive({
              ...(typeof v.command === 'string' ? { command: v.command } : {}),
              term: process.env.TERM ?? 'xterm',
              rows: process.stdout.rows ?? 24,
              cols: process.stdout.columns ?? 80,
              stdin: process.stdin,
              stdout: process.stdout,
              stderr: process.stderr,
            }),
          );
        } finally {
          if (session) await stopKept(cache, g);
        }
      },
    },
    cp: {
      summary: 'copy files and folders between the host and a kept guest (every file checked by sha256 on both sides)',
      help: 'usage: lab cp SRC DST\n  one side is in the guest: NAME:PATH, or :PATH for the only kept guest\n  into DST when it is a folder (the name kept), else as DST',
      options: {},
      async run(_v, p, { cache }) {
        if (p.length !== 2) throw new UsageError('lab cp takes a source and a destination: lab cp SRC DST');
        const [from, to] = [parseCopyEnd(p[0]!), parseCopyEnd(p[1]!)];
        if ((from.where === 'guest') === (to.where === 'guest'))
          throw new UsageError('lab cp: one side in the guest (NAME:PATH or :PATH), the other on the host');
        const g = findKeptGuest(
          cache,
          from.where === 'guest' ? from.guest : to.where === 'guest' ? to.guest : undefined,
        );
        const ssh = await connectKept(cache, g);
        try {
          const landed =
            from.where === 'host' ? await copyIn(ssh, from.path, to.path) : await copyOut(ssh, from.path, to.path);
          out(`${p[0]} → ${to.where === 'guest' ? `${g.name}:` : ''}${landed} (checked)`);
          return ExitCode.ok;
        } finally {
          ssh.close();
        }
      },
    },
    exec: {
      summary: "run a command in a kept guest: its output streamed, its exit status the lab's (255: the kernel died)",
      help: "usage: lab exec [NAME] -- CMD [ARG...]\n  the words after -- are joined for the guest's shell, as ssh does",
      options: {},
      async run(_v, p, { cache, tail }) {
        if (!tail?.length) throw new UsageError('lab exec needs a command after --: lab exec [NAME] -- CMD');
        if (p.length > 1) throw new UsageError(`lab exec takes one guest name before -- (got ${p.join(' ')})`);
        return execInKept(cache, findKeptGuest(cache, p[0]), tail, { stdout: process.stdout, stderr: process.stderr });
      },
    },
  };
}
