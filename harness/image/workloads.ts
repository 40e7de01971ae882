import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { hashParts } from '../util/hash.js';
import { run } from '../util/process.js';
import { repoRoot } from '../util/paths.js';
import { UsageError } from '../util/errors.js';

/** Source of a workload program: suites/workloads/<name>.c */
export function workloadSource(name: string): string {
  return join(repoRoot(), 'suites', 'workloads', `${name}.c`);
}

export const WORKLOAD_CFLAGS = ['-O2', '-static', '-Wall', '-Wextra', '-Werror'];

/**
 * Builds a workload as a static binary (so the initramfs needs no libc for it), cached by the hash of
 * its source, the flags and the compiler version.
 */
export async function buildWorkload(cache: string, name: string, gccVersion: string): Promise<string> {
  const src = workloadSource(name);
  if (!existsSync(src)) throw new UsageError(`unknown workload '${name}': ${src} does not exist`);
  const key = hashParts([
    ['source', readFileSync(src)],
    ['flags', WORKLOAD_CFLAGS.join(' ')],
    ['gcc', gccVersion],
  ]).slice(0, 16);
  const dir = join(cache, 'workloads');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}-${key}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  await run(['gcc', ...WORKLOAD_CFLAGS, '-o', tmp, src]);
  renameSync(tmp, out);
  return out;
}
