import { randomBytes } from 'node:crypto';

/** Sortable, unique and readable: 20261121-235611-damon-smoke-a1b2 */
export function newRunId(suite: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${suite}-${randomBytes(2).toString('hex')}`;
}
