// A guest runs other people's patches as root: it must not reach the host's loopback services (user-mode
// networking maps 10.0.2.2 to the host's 127.0.0.1 unless restricted), while the lab's own forwarded SSH
// port keeps working. A real guest, a real listener on the host's loopback.
import t from 'tap';
import { createServer } from 'node:net';
import { debianDefaultKernel } from '../../harness/kernel/debian-kernel.js';
import { buildInitramfs } from '../../harness/image/initramfs.js';
import { ensureLabKeys } from '../../harness/guest/lab-keys.js';
import { startGuest } from '../../harness/vm/boot-guest.js';
import { bootableKernel } from '../../harness/kernel/pvh-vmlinux.js';
import { loadGuest } from '../../harness/suites/suite-catalog.js';
import { cacheRoot } from '../../harness/util/paths.js';

t.test("the guest cannot reach a service on the host's loopback; SSH in still works", async (t) => {
  let reached = 0;
  const server = createServer((s) => {
    reached++;
    s.end('secret\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const cache = cacheRoot();
  const kernel = await debianDefaultKernel(cache);
  const keys = await ensureLabKeys(cache);
  const image = await buildInitramfs(cache, {
    kernel,
    keys,
    modules: [],
    workloads: {},
    busybox: '/bin/busybox',
    dropbear: '/usr/sbin/dropbear',
  });
  const boot = await bootableKernel(kernel.vmlinuz, kernel.config);
  const g = await startGuest({
    guest: loadGuest('default'),
    accel: 'tcg',
    qemu: 'qemu-system-x86_64',
    kernel: boot.path,
    initrd: image.path,
  });
  t.teardown(async () => {
    await g.shutdown();
    g.removeRunDir();
  });
  await g.waitReady(120000);
  const ssh = await g.connectSsh(keys, 15000);
  t.match(g.plan.argv?.join(' '), /user,id=net0,restrict=on,hostfwd=tcp:127\.0\.0\.1:/);
  const r = await ssh.exec(`echo | nc -w 3 10.0.2.2 ${port}; echo "rc=$?"`, { timeoutMs: 20000 });
  t.notMatch(r.stdout, /secret/, 'nothing came back from the host service');
  t.equal(reached, 0, 'the host service saw no connection');
  t.equal((await ssh.exec('echo in')).stdout.trim(), 'in', 'the forwarded SSH port works');
});
