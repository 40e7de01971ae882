// The lock under contention: processes racing for one lock (and for one stale lock) never hold it at
// the same time, and a reader never sees a lock file without its holder in it.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireLock } from '../../harness/util/lock.js';

const lockJs = new URL('../../dist/harness/util/lock.js', import.meta.url).pathname;

/** A child that takes the lock `rounds` times, logging enter/exit around a short hold. */
const CHILD = `
import { acquireLock } from ${JSON.stringify(lockJs)};
import { appendFileSync } from 'node:fs';
const [lock, log, rounds] = process.argv.slice(1);
let held = 0;
while (held < Number(rounds)) {
  let release;
  try { release = acquireLock(lock, 'the test lock'); } catch { await new Promise((r) => setTimeout(r, 1)); continue; }
  appendFileSync(log, 'enter ' + process.pid + '\\n');
  const end = Date.now() + 2; while (Date.now() < end) {}
  appendFileSync(log, 'exit ' + process.pid + '\\n');
  release();
  held++;
}
`;

function noOverlap(log: string): boolean {
  let inside: string | undefined;
  for (const line of log.trim().split('\n')) {
    const [what, pid] = line.split(' ');
    if (what === 'enter') {
      if (inside) return false;
      inside = pid;
    } else {
      if (inside !== pid) return false;
      inside = undefined;
    }
  }
  return inside === undefined;
}

t.test(
  'six processes, twenty rounds each: never two holders at once',
  { skip: existsSync(lockJs) ? false : 'needs the compiled lab (./lab test builds it)' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-lock-'));
    const [lock, log] = [join(dir, 'x.lock'), join(dir, 'log')];
    writeFileSync(log, '');
    await Promise.all(
      Array.from({ length: 6 }, () => execa('node', ['--input-type=module', '-e', CHILD, lock, log, '20'])),
    );
    const text = readFileSync(log, 'utf8');
    t.equal(text.trim().split('\n').length, 6 * 20 * 2);
    t.ok(noOverlap(text), 'enter/exit strictly alternate');
    t.notOk(existsSync(lock), 'released');
  },
);

t.test(
  'a stale lock (its holder gone) is taken over by exactly one of several racers at a time',
  { skip: existsSync(lockJs) ? false : 'needs the compiled lab' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-lock-'));
    const [lock, log] = [join(dir, 'x.lock'), join(dir, 'log')];
    writeFileSync(log, '');
    writeFileSync(lock, `${spawnSync('true').pid} 1\n`);
    await Promise.all(
      Array.from({ length: 6 }, () => execa('node', ['--input-type=module', '-e', CHILD, lock, log, '5'])),
    );
    t.ok(noOverlap(readFileSync(log, 'utf8')));
  },
);

t.test('a live holder is named; the lock file always holds its holder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-lock-'));
  const lock = join(dir, 'x.lock');
  const release = acquireLock(lock, 'the test lock');
  t.match(
    readFileSync(lock, 'utf8'),
    new RegExp(`^${process.pid} \\d+\\n$`),
    'pid and start time, written before the file appeared',
  );
  const other = await execa(
    'node',
    [
      '--input-type=module',
      '-e',
      `import { acquireLock } from ${JSON.stringify(lockJs)}; try { acquireLock(process.argv[1], 'the test lock'); } catch (e) { console.log(e.message); }`,
      lock,
    ],
    { reject: false },
  );
  if (existsSync(lockJs))
    t.match(other.stdout, new RegExp(`the test lock is in use by another lab process \\(pid ${process.pid}\\)`));
  release();
  t.notOk(existsSync(lock));
});
