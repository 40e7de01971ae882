// The snapshot store on a real folder: keys, publishing (whole or not at all), lookup, eviction by last use,
// the hash check; and the script that refreshes a restored guest.
import t from 'tap';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evictSnapshots,
  findSnapshot,
  publishSnapshot,
  snapshotIntact,
  snapshotKey,
  snapshotsRoot,
  stagingFor,
} from '../../harness/vm/snapshot-store.js';
import { planMachine } from '../../harness/vm/machine-plan.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { freshenScript } from '../../harness/run/snapshot-stage.js';

const guest = GuestSpecSchema.parse({ name: 'g' });
const machine = (o: { port?: number; extra?: string[]; memory?: number } = {}) =>
  planMachine({
    guest: o.memory ? GuestSpecSchema.parse({ name: 'g', memory: o.memory }) : guest,
    accel: 'tcg',
    kernel: '/c/vmlinux',
    initrd: '/c/initrd',
    sshPort: o.port ?? 40000,
    extraCmdline: o.extra ?? [],
  });
const key = (m: ReturnType<typeof machine>, files = { kernel: 'k:1:1', initrd: 'i:1:1' }, qemuVersion = '7.2.0') =>
  snapshotKey({ machine: m, files, qemuVersion, tcgThreads: 'single' });

t.test('snapshotKey: the forwarded port is not part of it; the command line, memory, files and QEMU are', async (t) => {
  t.equal(key(machine({ port: 40000 })), key(machine({ port: 51234 })), 'a restore may forward another port');
  t.not(key(machine()), key(machine({ extra: ['lab.tlb_churn'] })));
  t.not(key(machine()), key(machine({ memory: 2048 })));
  t.not(key(machine()), key(machine(), { kernel: 'k:1:2', initrd: 'i:1:1' }), 'a rebuilt kernel');
  t.not(key(machine()), key(machine(), undefined, '8.2.0'));
});

async function publish(cache: string, k: string, content = 'state bytes') {
  const staged = stagingFor(cache, k);
  writeFileSync(staged.state, content);
  return publishSnapshot(cache, staged, { key: k, release: '7.2.0', bootConsole: 'LAB-READY 7.2.0\n', qemu: '7.2.0' });
}

t.test('published whole, found by key, its hash checked; a changed state file is caught', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'lab-snap-'));
  t.equal(findSnapshot(cache, 'abc'), undefined);
  const s = (await publish(cache, 'abc'))!;
  t.same(readdirSync(snapshotsRoot(cache)), ['abc'], 'no staging folder left');
  const found = findSnapshot(cache, 'abc')!;
  t.equal(found.meta.release, '7.2.0');
  t.equal(found.meta.bytes, 11);
  t.ok(await snapshotIntact(found));
  writeFileSync(s.state, 'state bytez');
  t.notOk(await snapshotIntact(found), 'same size, other bytes: the hash says so');
  writeFileSync(s.state, 'short');
  t.equal(findSnapshot(cache, 'abc'), undefined, 'a truncated state is no snapshot');
  const replaced = await publish(cache, 'abc', 'new state');
  t.equal(replaced?.meta.bytes, 9, 'a broken one in the way is replaced');
  const second = await publish(cache, 'abc', 'other');
  t.equal(second?.meta.bytes, 9, 'a good one that exists is kept');
});

t.test('eviction: the least recently restored go first', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'lab-snap-'));
  for (const k of ['a', 'b', 'c']) await publish(cache, k);
  const old = new Date(Date.now() - 3600_000);
  for (const k of ['a', 'b', 'c']) utimesSync(join(snapshotsRoot(cache), k, 'meta.json'), old, old);
  findSnapshot(cache, 'a'); // a restore touches it
  mkdirSync(join(snapshotsRoot(cache), '.d.999999999.1'), { recursive: true }); // a save killed midway
  t.same(evictSnapshots(cache, 1).sort(), ['b', 'c']);
  t.ok(existsSync(join(snapshotsRoot(cache), 'a')));
  t.notOk(existsSync(join(snapshotsRoot(cache), '.d.999999999.1')), "a dead writer's staging folder is swept");
});

t.test(
  'freshenScript: the host clock to the nearest second (busybox date), 64 random bytes to reseed the CRNG with',
  async (t) => {
    const s = freshenScript(1767225600123, Buffer.alloc(64, 7));
    t.match(s, /^date -s @1767225600 /);
    t.match(s, /echo (\S+) \| base64 -d \| reseed$/);
    t.equal(Buffer.from(/echo (\S+) \|/.exec(s)![1]!, 'base64').length, 64);
  },
);
