// The developer's loop on real guests: lab up / status / down leave no process or folder; lab exec gives the
// command's exit status (0, 3) and 255 with the panic when the kernel dies under it; lab shell is a real pty,
// driven through tmux (a command, the terminal's size, Ctrl-C to the guest's job, the shell's exit status);
// lab run --keep-guest leaves the suite's guest up; lab shell -c boots a guest for one command and stops it;
// --share shows a host directory inside (read-only on the host's side unless --rw).
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../../harness/util/paths.js';
import { ensurePackages } from '../../harness/local-host/packages.js';
import { lab, labBin, liveProcesses, liveQemus, newQemusLeft, repo } from './lab-cli.js';

const guestsDir = join(cacheRoot(), 'guests');
const kept = () => (existsSync(guestsDir) ? readdirSync(guestsDir).filter((n) => n.endsWith('.json')) : []);
const status = async () => JSON.parse((await lab(['status', '--json'])).stdout) as Array<Record<string, unknown>>;

t.test('up, status, exec, down: the guest outlives the command that started it, and nothing is left', async (t) => {
  const before = liveQemus();
  const up = await lab(['up', 'loop-a', '--quiet']);
  t.equal(up.exitCode, 0, up.all);
  t.match(up.stdout, /^loop-a: up, kernel \S+, ssh 127\.0\.0\.1:\d+$/m);
  const [g] = (await status()).filter((x) => x.name === 'loop-a');
  t.ok(g, 'lab status lists it');
  t.equal(liveQemus().filter((p) => !before.includes(p)).length, 1, 'its QEMU runs after lab up exited');

  const uname = await lab(['exec', 'loop-a', '--', 'uname', '-r']);
  t.equal(uname.exitCode, 0, uname.all);
  t.equal(uname.stdout.trim(), g!.release);
  const three = await lab(['exec', 'loop-a', '--', 'echo out; echo err >&2; exit 3']);
  t.equal(three.exitCode, 3, 'the guest command’s exit status is the lab’s');
  t.equal(three.stdout, 'out');
  t.equal(three.stderr, 'err');
  const noCmd = await lab(['exec', 'loop-a']);
  t.equal(noCmd.exitCode, 2, 'no command after -- is a usage error');
  const twice = await lab(['up', 'loop-a', '--quiet']);
  t.equal(twice.exitCode, 2, 'a name in use is refused');
  t.match(twice.stderr, /already running/);

  const down = await lab(['down', 'loop-a']);
  t.equal(down.exitCode, 0, down.all);
  t.match(down.stdout, /loop-a: down \(poweroff\)/);
  t.same(await newQemusLeft(before), [], 'no QEMU left');
  t.notOk(existsSync(String(g!.runDir)), 'its run dir is gone');
  t.notOk(kept().includes('loop-a.json'), 'its record is gone');
  const again = await lab(['down', 'loop-a']);
  t.equal(again.exitCode, 2, 'a guest that is not running is a usage error');
});

t.test('a panic while a command runs: exit 255 and the console excerpt, the guest forgotten', async (t) => {
  const before = liveQemus();
  t.equal((await lab(['up', 'loop-panic', '--quiet'])).exitCode, 0);
  const r = await lab(['exec', 'loop-panic', '--', 'echo c > /proc/sysrq-trigger']);
  t.equal(r.exitCode, 255, r.all);
  t.match(r.stderr, /the guest's kernel died while the command ran/);
  t.match(r.stderr, /Kernel panic - not syncing: sysrq triggered crash/);
  t.same(await newQemusLeft(before), [], 'the panicked guest’s QEMU is gone');
  t.notOk(
    (await status()).some((x) => x.name === 'loop-panic'),
    'lab status no longer lists it',
  );
});

t.test('lab shell is a real terminal: size, a command, Ctrl-C to the guest, the exit status', async (t) => {
  await ensurePackages(['tmux']);
  const before = liveQemus();
  t.equal((await lab(['up', 'loop-tty', '--quiet'])).exitCode, 0);
  const session = `lab-test-${process.pid}`;
  const tmux = (...args: string[]) => execa('tmux', args, { reject: false });
  const screen = async () => (await tmux('capture-pane', '-t', session, '-p')).stdout;
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 300 && !re.test(await screen()); i++) await new Promise((r) => setTimeout(r, 100));
    return screen();
  };
  t.teardown(() => tmux('kill-session', '-t', session));
  await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '100',
    '-y',
    '30',
    '-c',
    repo,
    `node ${labBin} shell loop-tty; echo SHELL-EXIT=$?; sleep 60`,
  );
  t.match(await waitFor(/~ # $/m), /built-in shell/, 'a shell prompt');
  await tmux('send-keys', '-t', session, 'stty size; echo T=$TERM', 'Enter');
  t.match(await waitFor(/^T=/m), /^30 100$/m, 'the pty has the terminal’s size');
  await tmux('send-keys', '-t', session, 'sleep 100', 'Enter');
  await new Promise((r) => setTimeout(r, 700));
  await tmux('send-keys', '-t', session, 'C-c');
  await tmux('send-keys', '-t', session, 'echo after-$((40+2))', 'Enter');
  t.match(await waitFor(/^after-42$/m), /\^C/, 'Ctrl-C stopped the guest’s sleep, the shell went on');
  await tmux('send-keys', '-t', session, 'exit 7', 'Enter');
  t.match(await waitFor(/SHELL-EXIT=/), /SHELL-EXIT=7/, 'the shell’s exit status is the lab’s');
  t.equal((await lab(['down', 'loop-tty'])).exitCode, 0);
  t.same(await newQemusLeft(before), []);
});

t.test('lab run --keep-guest leaves the suite’s guest up; lab shell -c boots one for a command', async (t) => {
  const before = liveQemus();
  const run = await lab(['run', 'boot', '--keep-guest', 'loop-run']);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stderr, /get in: +lab shell loop-run/);
  const r = await lab(['exec', 'loop-run', '--', 'cat /proc/uptime']);
  t.equal(r.exitCode, 0, r.all);
  t.equal((await lab(['down', 'loop-run'])).exitCode, 0);

  const once = await lab(['shell', '-c', 'uname -r; exit 5']);
  t.equal(once.exitCode, 5, once.all);
  t.match(once.stdout, /^\d+\.\d+\S*/);
  t.same(
    (await status()).filter((x) => String(x.name).startsWith('guest-')),
    [],
    'the session’s guest is gone',
  );
  t.same(await newQemusLeft(before), [], 'no QEMU left');
});

t.test('./lab exec goes through the master connection without node, with the same statuses', async (t) => {
  const before = liveQemus();
  t.equal((await lab(['up', 'loop-fast', '--quiet'])).exitCode, 0);
  t.teardown(async () => {
    await lab(['down', 'loop-fast']);
  });
  const script = join(repo, 'lab');
  const run = (args: string[], env: Record<string, string> = {}) =>
    execa(script, args, { reject: false, cwd: repo, env: { ...env } });
  t.ok(existsSync(join(guestsDir, 'loop-fast.ssh')), 'lab up opened the master connection');
  const ok = await run(['exec', 'loop-fast', '--', 'echo', 'fast']);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.equal(ok.stdout, 'fast');
  t.equal((await run(['exec', 'loop-fast', '--', 'exit 3'])).exitCode, 3);
  const hundred = await run(['exec', 'loop-fast', '--', 'echo once >> /tmp/count; exit 100']);
  t.equal(hundred.exitCode, 100, 'any status, 100 too, is the command’s');
  t.equal((await run(['exec', 'loop-fast', '--', 'cat /tmp/count'])).stdout, 'once', 'and it ran once');
  const own255 = await run(['exec', 'loop-fast', '--', 'exit 255']);
  t.equal(own255.exitCode, 255);
  t.notMatch(own255.stderr, /kernel died/, 'a command’s own 255 is no panic');
  const slow = await run(['exec', 'loop-fast', '--', 'exit 4'], { LAB_NO_FAST_EXEC: '1' });
  t.equal(slow.exitCode, 4, 'the node path gives the same status');
  const panic = await run(['exec', 'loop-fast', '--', 'echo c > /proc/sysrq-trigger']);
  t.equal(panic.exitCode, 255);
  t.match(panic.stderr, /kernel died while the command ran[\s\S]*Kernel panic - not syncing/);
  t.same(await newQemusLeft(before), []);
  const after = await run(['exec', 'loop-fast', '--', 'true']);
  t.equal(after.exitCode, 2, 'the dead guest: the CLI says it is not running');
  t.match(after.stderr, /no running guest named 'loop-fast'/);
});

t.test('lab cp: a tree in and out, a file renamed, every file checked', async (t) => {
  const before = liveQemus();
  t.equal((await lab(['up', 'loop-cp', '--quiet'])).exitCode, 0);
  const dir = mkdtempSync(join(tmpdir(), 'lab-cp-'));
  t.teardown(async () => {
    rmSync(dir, { recursive: true, force: true });
    await lab(['down', 'loop-cp']);
  });
  const tree = join(dir, 'work tree');
  mkdirSync(join(tree, 'sub', 'deeper'), { recursive: true });
  const blob = randomBytes(300 * 1024);
  writeFileSync(join(tree, 'blob.bin'), blob);
  writeFileSync(join(tree, 'sub', 'deeper', 'notes.txt'), 'hello\n');
  const copyIn = await lab(['cp', tree, 'loop-cp:/tmp']);
  t.equal(copyIn.exitCode, 0, copyIn.all);
  t.match(copyIn.stdout, /→ loop-cp:\/tmp\/work tree \(checked\)/);
  const inGuest = await lab(['exec', 'loop-cp', '--', "cat '/tmp/work tree/sub/deeper/notes.txt'"]);
  t.equal(inGuest.stdout, 'hello');
  const out = join(dir, 'back');
  const copyOut = await lab(['cp', ':/tmp/work tree', out]);
  t.equal(copyOut.exitCode, 0, copyOut.all);
  t.same(readFileSync(join(out, 'blob.bin')), blob, 'the tree came back byte for byte');
  t.equal(readFileSync(join(out, 'sub', 'deeper', 'notes.txt'), 'utf8'), 'hello\n');
  // A small folder: its archive is written whole before the SSH channel opens (node used to drop it, unread).
  const tiny = join(dir, 'tiny');
  mkdirSync(tiny);
  writeFileSync(join(tiny, 'x'), 'x');
  t.equal((await lab(['cp', tiny, 'loop-cp:/tmp'])).exitCode, 0);
  t.equal((await lab(['exec', 'loop-cp', '--', 'cat /tmp/tiny/x'])).stdout, 'x');
  // A sysfs file says 4096 bytes and has a few: it comes out by what it has.
  const nr = join(dir, 'nr');
  t.equal((await lab(['cp', 'loop-cp:/proc/sys/kernel/osrelease', nr])).exitCode, 0);
  t.match(readFileSync(nr, 'utf8'), /^\d+\.\d+/);
  const renamed = await lab(['cp', join(tree, 'blob.bin'), 'loop-cp:/tmp/renamed.bin']);
  t.equal(renamed.exitCode, 0, renamed.all);
  const sum = await lab(['exec', 'loop-cp', '--', 'sha256sum /tmp/renamed.bin']);
  t.match(sum.stdout, new RegExp(`^${createHash('sha256').update(blob).digest('hex')} `));
  const missing = await lab(['cp', join(dir, 'nope'), 'loop-cp:/tmp']);
  t.equal(missing.exitCode, 2, 'a source that does not exist is the user’s mistake');
  const both = await lab(['cp', tree, out]);
  t.equal(both.exitCode, 2, 'two host paths: a usage error');
  t.equal((await lab(['down', 'loop-cp'])).exitCode, 0);
  t.same(await newQemusLeft(before), []);
});

t.test(
  '--share: the host directory at the same path, read-only unless --rw, a host-built program runs in it',
  async (t) => {
    const before = liveQemus();
    const daemons = liveProcesses('virtiofsd');
    const dir = mkdtempSync(join(tmpdir(), 'lab-share-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'data.txt'), 'from the host\n');
    await ensurePackages(['gcc', 'libc6-dev']);
    // A program built on the host runs in the guest from the share, without copying (static: the guest's initramfs
    // has busybox's libc setup, not the host's).
    writeFileSync(join(dir, 'hello.c'), '#include <stdio.h>\nint main(void){puts("built on the host");return 7;}\n');
    const cc = await execa('gcc', ['-static', '-O2', '-o', join(dir, 'hello'), join(dir, 'hello.c')], {
      reject: false,
    });
    t.equal(cc.exitCode, 0, cc.stderr);

    const up = await lab(['up', 'loop-share', '--share', dir, '--quiet']);
    t.equal(up.exitCode, 0, up.all);
    t.match(up.stdout, new RegExp(`${dir} shared read-only`));
    t.match((await status()).find((x) => x.name === 'loop-share')?.share, { dir, writable: false });
    const read = await lab(['exec', 'loop-share', '--', `cat ${dir}/data.txt`]);
    t.equal(read.stdout, 'from the host', read.all);
    const run = await lab(['exec', 'loop-share', '--', `${dir}/hello`]);
    t.equal(run.exitCode, 7, run.all);
    t.equal(run.stdout, 'built on the host');
    const write = await lab(['exec', 'loop-share', '--', `touch ${dir}/x`]);
    t.not(write.exitCode, 0, 'a write is refused');
    t.match(write.stderr, /Read-only file system/);
    // The guest is root: it may remount its side writable, and the host still refuses.
    const remount = await lab(['exec', 'loop-share', '--', `mount -o remount,rw ${dir}; touch ${dir}/y`]);
    t.match(remount.stderr, /Read-only file system/, 'the host refuses writes whatever the guest mounts');
    t.same(readdirSync(dir).sort(), ['data.txt', 'hello', 'hello.c'], 'nothing was written on the host');
    // Changed on the host, seen in the guest.
    writeFileSync(join(dir, 'data.txt'), 'changed on the host\n');
    await new Promise((r) => setTimeout(r, 1500)); // cache=auto: attributes are kept up to a second
    t.equal((await lab(['exec', 'loop-share', '--', `cat ${dir}/data.txt`])).stdout, 'changed on the host');
    t.equal((await lab(['down', 'loop-share'])).exitCode, 0);

    const rw = await lab(['shell', '--share', dir, '--rw', '-c', `echo from the guest > ${dir}/out.txt`]);
    t.equal(rw.exitCode, 0, rw.all);
    t.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'from the guest\n', '--rw: the guest’s write is on the host');

    t.same(await newQemusLeft(before), [], 'no QEMU left');
    t.same(
      liveProcesses('virtiofsd').filter((p) => !daemons.includes(p)),
      [],
      'no virtiofsd left',
    );
    const bad = await lab(['up', 'loop-share-bad', '--share', join(dir, 'nope')]);
    t.equal(bad.exitCode, 2, 'a share that does not exist is a usage error');
    t.match(bad.stderr, /--share .*nope: no such directory/);
    const rwAlone = await lab(['up', 'loop-share-bad', '--rw']);
    t.equal(rwAlone.exitCode, 2);
  },
);
