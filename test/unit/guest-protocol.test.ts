// The guest's init scripts and the lab speak one protocol: every LAB-* marker an init prints is one the
// lab knows (harness/guest/guest-protocol.ts), and every marker the lab waits for is printed by an init.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { BOOT_DONE, MARKERS, READY, modprobeFailures } from '../../harness/guest/guest-protocol.js';

const repo = new URL('../..', import.meta.url).pathname;
const inits = ['images/initramfs/init.sh', 'images/rootfs/init-rootfs.sh'].map((f) =>
  readFileSync(`${repo}/${f}`, 'utf8'),
);

t.test("the markers the init scripts print are exactly the protocol's", async (t) => {
  const printed = new Set(
    inits.flatMap((text) => [...text.matchAll(/^[^#\n]*\becho "(LAB-[A-Z-]+)/gm)].map((m) => m[1]!)),
  );
  t.same([...printed].sort(), Object.values(MARKERS).sort());
});

t.test('the lab reads them as init writes them', async (t) => {
  t.equal(READY.exec('[    3.1] LAB-READY 7.2.13+deb14-cloud-amd64 uptime=2.91')?.[1], '7.2.13+deb14-cloud-amd64');
  t.equal(READY.exec('LAB-READY 7.2.13+deb14-cloud-amd64 upt'), null, 'a line read halfway is not the marker');
  t.ok(BOOT_DONE.test('LAB-BOOT-DONE 6.12.118-lab rc=0'));
  t.same(
    modprobeFailures('x\nLAB-MODPROBE-FAILED virtio_net\nLAB-MODPROBE-FAILED 9p\nLAB-MODPROBE-FAILED virtio_net\n'),
    ['virtio_net', '9p'],
  );
});
