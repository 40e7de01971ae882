import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunDir, stagingPid, sweepLeftovers } from '../../harness/vm/leftovers.js';
import { formatIdentity, parseIdentity, processIdentity, stillRunning } from '../../harness/util/process-identity.js';

/** The identity of a process that has ended: a pid with a start time no live process has. */
function deadIdentity(): string {
  const r = spawnSync('true');
  return `${r.pid} 1\n`;
}

t.test('process identities: pid and start time, so a reused pid is not taken for the old process', async (t) => {
  const me = processIdentity(process.pid)!;
  t.ok(stillRunning(me));
  t.notOk(stillRunning({ pid: me.pid, start: me.start + 1 }), 'same pid, other start time: another process');
  t.same(parseIdentity(formatIdentity(me)), me);
  t.equal(parseIdentity('12'), undefined, 'a half-written file is no identity');
});

t.test("staging names carry their writer's pid", async (t) => {
  t.equal(stagingPid('initramfs-abc.cpio.tmp-1234'), 1234);
  t.equal(stagingPid('.tmp-linux-image-6.12.1-cloud-amd64-99'), 99);
  t.equal(stagingPid('.rootfs-77'), 77);
  t.equal(stagingPid('initramfs-abc.cpio'), undefined);
});

t.test(
  "the sweep kills a dead lab's QEMU by its pid file, removes its run dir and staging, spares the living",
  async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'lab-sweep-tmp-'));
    const cache = mkdtempSync(join(tmpdir(), 'lab-sweep-cache-'));
    // A "QEMU" left by a lab that is gone: a sleeper, named in qemu.pid; the owner file names a dead process.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    t.teardown(() => {
      try {
        sleeper.kill('SIGKILL');
      } catch {
        /* gone */
      }
    });
    await new Promise((r) => setTimeout(r, 50));
    const orphanDir = join(tmp, 'damon-lab-orphan');
    mkdirSync(orphanDir);
    writeFileSync(join(orphanDir, 'owner'), deadIdentity());
    writeFileSync(join(orphanDir, 'qemu.pid'), formatIdentity(processIdentity(sleeper.pid!)!));
    // A run dir of this (living) process, one kept for the user (no owner), and one of another program.
    const mine = join(tmp, 'damon-lab-mine');
    mkdirSync(mine);
    claimRunDir(mine);
    const kept = join(tmp, 'damon-lab-kept');
    mkdirSync(kept);
    const other = join(tmp, 'someone-else');
    mkdirSync(other);
    writeFileSync(join(other, 'owner'), deadIdentity());
    // Staging: one of a dead pid, one of this process.
    mkdirSync(join(cache, 'kernels', 'debian'), { recursive: true });
    const deadStaging = join(cache, 'kernels', 'debian', `pkg.tmp-${spawnSync('true').pid}`);
    mkdirSync(deadStaging);
    const liveStaging = join(cache, 'images', `initramfs-x.cpio.tmp-${process.pid}`);
    mkdirSync(join(cache, 'images'));
    writeFileSync(liveStaging, 'x');

    const r = sweepLeftovers(cache, tmp);
    t.same(r.killed, [sleeper.pid], 'the orphan QEMU was killed');
    await new Promise((res) => sleeper.once('exit', res));
    t.notOk(existsSync(orphanDir));
    t.notOk(existsSync(deadStaging));
    t.ok(existsSync(mine), "a living lab's run dir stays");
    t.ok(existsSync(kept), 'a run dir kept for the user stays');
    t.ok(existsSync(other), 'folders the lab did not make stay');
    t.ok(existsSync(liveStaging), "a living lab's staging stays");
  },
);

t.test(
  "sweep: a dead lab's libvirt domain is destroyed by its recorded URI and name; a name the lab does not give is left alone",
  async (t) => {
    const { recordDomain } = await import('../../harness/vm/leftovers.js');
    const tmp = mkdtempSync(join(tmpdir(), 'sweep-dom-'));
    const cache = mkdtempSync(join(tmpdir(), 'sweep-dom-cache-'));
    const dead = join(tmp, 'damon-lab-dead');
    mkdirSync(dead);
    writeFileSync(join(dead, 'owner'), deadIdentity());
    recordDomain(dead, 'qemu+ssh://root@127.0.0.1:2222/system', 'damon-lab-123-abc-0');
    const forged = join(tmp, 'damon-lab-forged');
    mkdirSync(forged);
    writeFileSync(join(forged, 'owner'), deadIdentity());
    writeFileSync(join(forged, 'libvirt-domain'), 'qemu:///system\nproduction-db\n');
    const calls: string[] = [];
    const r = sweepLeftovers(cache, tmp, (uri, name) => {
      calls.push(`${uri} ${name}`);
      return 'destroyed';
    });
    t.same(calls, ['qemu+ssh://root@127.0.0.1:2222/system damon-lab-123-abc-0']);
    t.same(r.destroyed, calls);
    t.notOk(existsSync(dead));
    t.notOk(existsSync(forged), 'the forged folder is removed, its domain untouched');
  },
);

t.test(
  'sweep: a domain libvirt is still starting is tried again; one that cannot be destroyed keeps its record',
  async (t) => {
    const { recordDomain } = await import('../../harness/vm/leftovers.js');
    const tmp = mkdtempSync(join(tmpdir(), 'sweep-dom-'));
    const cache = mkdtempSync(join(tmpdir(), 'sweep-dom-cache-'));
    const starting = join(tmp, 'damon-lab-starting');
    mkdirSync(starting);
    writeFileSync(join(starting, 'owner'), deadIdentity());
    recordDomain(starting, 'qemu:///system', 'damon-lab-1-a-0');
    let tries = 0;
    const r = sweepLeftovers(cache, tmp, () => (++tries < 3 ? 'refused' : 'destroyed'), 1);
    t.equal(tries, 3, 'refused twice ("domain is not running" while it starts), then destroyed');
    t.same(r.destroyed, ['qemu:///system damon-lab-1-a-0']);
    t.notOk(existsSync(starting));

    const stuck = join(tmp, 'damon-lab-stuck');
    mkdirSync(stuck);
    writeFileSync(join(stuck, 'owner'), deadIdentity());
    recordDomain(stuck, 'qemu:///system', 'damon-lab-2-b-0');
    const r2 = sweepLeftovers(cache, tmp, () => 'failed', 1);
    t.same(r2.failed, ['qemu:///system damon-lab-2-b-0']);
    t.same(r2.removed, [], 'nothing removed');
    t.ok(existsSync(join(stuck, 'libvirt-domain')), 'the record stays for the next sweep');
    const r3 = sweepLeftovers(cache, tmp, () => 'gone', 1);
    t.same(
      [r3.failed, r3.destroyed, r3.removed],
      [[], [], [stuck]],
      'gone meanwhile: the folder goes, nothing destroyed',
    );
  },
);
