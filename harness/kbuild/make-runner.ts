import { appendFileSync } from 'node:fs';
import { loadExeca } from '../util/process.js';
import { raceAbort } from '../util/abort.js';
import { trackChild, untrackChild } from '../vm/reaper.js';
import { groupDiesWithParent } from '../vm/die-with-parent.js';
import { BuildError, firstBuildErrors } from './build-errors.js';
import { readFileSync } from 'node:fs';

/**
 * Runs one make invocation, appending its output to the build log and reporting progress (objects done,
 * the last one) at most every few seconds. A failure becomes a BuildError with the first errors.
 */
export async function runMake(
  argv: readonly string[],
  o: { env: Record<string, string>; logPath: string; what: string; progress: (line: string) => void },
): Promise<void> {
  appendFileSync(o.logPath, `\n$ ${argv.join(' ')}\n`);
  // make and its compilers in a process group of their own that dies with the lab, SIGKILL included.
  const [file, ...args] = groupDiesWithParent(argv);
  const execa = await loadExeca();
  const child = execa(file, args, {
    env: o.env,
    all: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    detached: true,
  });
  if (child.pid) trackChild(child.pid, `make ${o.what}`, { group: true });
  let done = 0;
  let last = '';
  let lastReport = Date.now();
  let partial = '';
  child.all?.on('data', (d: Buffer) => {
    const text = d.toString();
    appendFileSync(o.logPath, text);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^\s+(CC|LD|AR|AS|CC \[M\]|LD \[M\]|HOSTCC|GEN|OBJCOPY)\s+(\S+)/.exec(l);
      if (m) {
        done++;
        last = `${m[1]} ${m[2]}`;
      }
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      o.progress(`${o.what}: ${done} steps, ${last}`);
    }
  });
  try {
    const r = await raceAbort(child);
    if (r.exitCode !== 0) throw new BuildError(o.what, o.logPath, firstBuildErrors(readFileSync(o.logPath, 'utf8')));
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  } finally {
    if (child.pid) untrackChild(child.pid);
  }
}
