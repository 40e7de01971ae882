/**
 * An argv that runs `argv` so the kernel kills it when the lab process dies, whatever way it dies
 * (SIGKILL included, where no handler of ours runs): util-linux's setpriv sets PR_SET_PDEATHSIG and
 * execs the command, so the pid the lab tracks is the command's own. util-linux is on every Debian.
 * (The signal follows the thread that forked; Node spawns children from its main thread.)
 */
export function dieWithParent(argv: readonly string[]): [string, ...string[]] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
}

/**
 * An argv for a command that starts children of its own (make, and the compilers it runs): a shell, the
 * leader of a new process group (spawn it detached), runs the command in the background; when the lab
 * dies (PR_SET_PDEATHSIG TERM, through setpriv) or asks it to stop (SIGTERM), it kills the whole group,
 * so no compiler keeps writing into a build directory the next lab process builds in. Its exit status
 * is the command's.
 */
export function groupDiesWithParent(argv: readonly string[]): [string, ...string[]] {
  return [
    'setpriv',
    '--pdeathsig',
    'TERM',
    '--',
    'sh',
    '-c',
    'trap "trap - TERM; kill -KILL 0" TERM; "$@" & wait $!',
    'sh',
    ...argv,
  ];
}
