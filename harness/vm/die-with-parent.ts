/**
 * An argv that runs `argv` so the kernel kills it when the lab process dies, whatever way it dies
 * (SIGKILL included, where no handler of ours runs): util-linux's setpriv sets PR_SET_PDEATHSIG and
 * execs the command, so the pid the lab tracks is the command's own. util-linux is on every Debian.
 * (The signal follows the thread that forked; Node spawns children from its main thread.)
 */
export function dieWithParent(argv: readonly string[]): [string, ...string[]] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
}
