// Kept guests' records and the pure parts of using them: names, the only guest or the named one, stale records
// (a QEMU gone, a pid since reused) forgotten with their run dirs, a command's exit status, the panic excerpt.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fastPathFile,
  findKeptGuest,
  keptGuestFile,
  listKeptGuests,
  newGuestName,
  recordKeptGuest,
  writeFastPath,
} from '../../harness/kept/kept-guests.js';
import { exitStatusOf, panicExcerpt } from '../../harness/kept/kept-ops.js';

function setup(t: { teardown: (fn: () => void) => void }) {
  const cache = mkdtempSync(join(tmpdir(), 'kept-'));
  // A live process stands in for QEMU: the records name it by pid and start time.
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(cache, { recursive: true, force: true });
  });
  const record = (name: string, pid = child.pid!) => {
    const runDir = join(cache, `run-${name}`);
    mkdirSync(runDir, { recursive: true });
    return recordKeptGuest(cache, {
      name,
      pid,
      sshPort: 2222,
      runDir,
      consoleLog: join(runDir, 'console.log'),
      release: '7.2.13',
      kernel: '/k',
      guest: 'default',
      startedAt: 'now',
    });
  };
  return { cache, child, record };
}

t.test('names: the one asked for, else guest-N; one in use or malformed is refused', async (t) => {
  const s = setup(t);
  t.equal(newGuestName(s.cache, undefined), 'guest-1');
  s.record('guest-1');
  t.equal(newGuestName(s.cache, undefined), 'guest-2');
  t.equal(newGuestName(s.cache, 'dev'), 'dev');
  t.throws(() => newGuestName(s.cache, 'guest-1'), /already running/);
  for (const bad of ['Dev', '../x', '-x', 'a b', ''])
    t.throws(() => newGuestName(s.cache, bad), /guest name/, JSON.stringify(bad));
});

t.test('the only guest is found without a name; several need one; none says how to start one', async (t) => {
  const s = setup(t);
  t.throws(() => findKeptGuest(s.cache, undefined), /no guest is running/);
  s.record('a');
  t.equal(findKeptGuest(s.cache, undefined).name, 'a');
  s.record('b');
  t.throws(() => findKeptGuest(s.cache, undefined), /several guests are running: name one \(a, b\)/);
  t.equal(findKeptGuest(s.cache, 'b').name, 'b');
  t.throws(() => findKeptGuest(s.cache, 'c'), /no running guest named 'c'/);
});

t.test('a record whose QEMU is gone is forgotten with its run dir and fast-path file', async (t) => {
  const s = setup(t);
  const g = s.record('gone');
  writeFastPath(s.cache, { ...g, sshControl: join(g.runDir, 'ssh.ctl') });
  t.equal(readFileSync(fastPathFile(s.cache, 'gone'), 'utf8'), `2222\n${join(g.runDir, 'ssh.ctl')}\n${g.consoleLog}\n`);
  s.child.kill('SIGKILL');
  await new Promise((r) => s.child.once('exit', r));
  t.same(listKeptGuests(s.cache), []);
  t.notOk(existsSync(keptGuestFile(s.cache, 'gone')));
  t.notOk(existsSync(fastPathFile(s.cache, 'gone')));
  t.notOk(existsSync(g.runDir));
});

t.test('a pid since taken by another process is not the guest; a damaged record is dropped', async (t) => {
  const s = setup(t);
  const g = s.record('reused');
  const [pid, start] = g.qemu.trim().split(' ');
  writeFileSync(keptGuestFile(s.cache, 'reused'), JSON.stringify({ ...g, qemu: `${pid} ${Number(start) + 1}\n` }));
  writeFileSync(keptGuestFile(s.cache, 'broken'), '{"name": ');
  t.same(listKeptGuests(s.cache), []);
  t.notOk(existsSync(keptGuestFile(s.cache, 'broken')));
});

t.test('exit statuses as a shell gives them; the panic and its trace from the console', async (t) => {
  t.equal(exitStatusOf({ code: 0 }), 0);
  t.equal(exitStatusOf({ code: 3 }), 3);
  t.equal(exitStatusOf({ code: -1, signal: 'KILL' }), 137);
  t.equal(exitStatusOf({ code: -1, signal: 'SIGTERM' }), 143);
  t.equal(exitStatusOf({ code: -1 }), 255);
  const console = [
    ...Array.from({ length: 50 }, (_, i) => `[    1.${i}] boot line ${i}`),
    'LAB-READY 7.2 uptime=3',
    '[   12.1] sysrq: Trigger a crash',
    '[   12.2] Kernel panic - not syncing: sysrq triggered crash',
    '[   12.3] Call Trace:',
    '[   12.4]  panic+0x6b/0x70',
  ].join('\n');
  const excerpt = panicExcerpt(console)!;
  t.match(excerpt, /sysrq: Trigger a crash\n.*Kernel panic - not syncing[\s\S]*panic\+0x6b/);
  t.notMatch(excerpt, /boot line 10\b/, 'not the whole boot');
  t.equal(panicExcerpt('all quiet\nLAB-READY'), undefined);
});
