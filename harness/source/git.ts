import { resolve } from 'node:path';
import { run, probe } from '../util/process.js';

/** git with a fixed identity and no user config, so lab commits are reproducible and never prompt. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'damon-lab',
  GIT_AUTHOR_EMAIL: 'damon-lab@localhost',
  GIT_COMMITTER_NAME: 'damon-lab',
  GIT_COMMITTER_EMAIL: 'damon-lab@localhost',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/**
 * The options every lab git call runs with. As root on a tree another user owns, git refuses to work
 * ("not a git repository": its ownership check), and with HOME=/nonexistent no safe.directory can be
 * configured, so the lab names the one repository it was given. And nothing of that tree runs as root
 * through git: no hooks, no fsmonitor command from its config.
 */
export function gitArgv(repo: string, args: readonly string[]): string[] {
  return [
    'git',
    '-c',
    `safe.directory=${resolve(repo)}`,
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'core.fsmonitor=false',
    '-C',
    repo,
    ...args,
  ];
}

export function git(repo: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<string> {
  return run(gitArgv(repo, args), { env: { ...GIT_ENV, ...extraEnv, HOME: '/nonexistent' } });
}

export function gitProbe(repo: string, args: readonly string[]) {
  return probe(gitArgv(repo, args), { env: { ...GIT_ENV, HOME: '/nonexistent' } });
}
