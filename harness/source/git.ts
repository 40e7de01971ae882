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

export function git(repo: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<string> {
  return run(['git', '-C', repo, ...args], { env: { ...GIT_ENV, ...extraEnv, HOME: '/nonexistent' } });
}

export function gitProbe(repo: string, args: readonly string[]) {
  return probe(['git', '-C', repo, ...args], { env: { ...GIT_ENV, HOME: '/nonexistent' } });
}
