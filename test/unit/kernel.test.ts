import t from 'tap';
import { parseKernelConfig, sshUnreachableReason, unmetRequirements } from '../../harness/kernel/kconfig.js';

t.test('kernel config: y, m, strings, not set', async (t) => {
  const c = parseKernelConfig(
    'CONFIG_DAMON=y\nCONFIG_VIRTIO_NET=m\nCONFIG_LOCALVERSION="-lab"\n# CONFIG_KASAN is not set\n',
  );
  t.equal(c.get('CONFIG_DAMON'), 'y');
  t.equal(c.get('CONFIG_VIRTIO_NET'), 'm');
  t.equal(c.get('CONFIG_LOCALVERSION'), '-lab');
  t.equal(c.get('CONFIG_KASAN'), 'n');
});

t.test('requirements: m is met by y, y is not met by m, absent reads as n', async (t) => {
  const c = parseKernelConfig('CONFIG_DAMON=y\nCONFIG_DAMON_SYSFS=m\n');
  t.same(unmetRequirements(c, { CONFIG_DAMON: 'm' }), []);
  t.same(unmetRequirements(c, { CONFIG_DAMON_SYSFS: 'y' }), [
    'kernel config CONFIG_DAMON_SYSFS=m, suite needs CONFIG_DAMON_SYSFS=y',
  ]);
  t.same(unmetRequirements(c, { CONFIG_DAMON_KUNIT_TEST: 'y' }), [
    'kernel config CONFIG_DAMON_KUNIT_TEST=n, suite needs CONFIG_DAMON_KUNIT_TEST=y',
  ]);
});

t.test(
  'SSH reachability: virtio-net (built in or a module), IPv4 and an initramfs; otherwise console-only, saying what is missing',
  async (t) => {
    const lab = 'CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_NET=y\nCONFIG_BLK_DEV_INITRD=y\n';
    t.equal(sshUnreachableReason(parseKernelConfig(lab)), undefined);
    t.equal(
      sshUnreachableReason(parseKernelConfig(lab.replace('VIRTIO_NET=y', 'VIRTIO_NET=m'))),
      undefined,
      'the initramfs loads virtio_net',
    );
    t.equal(
      sshUnreachableReason(parseKernelConfig('CONFIG_KUNIT=y\n# CONFIG_NET is not set\n')),
      'the kernel cannot be reached over SSH (CONFIG_NET=n, CONFIG_INET=n, CONFIG_VIRTIO_PCI=n, CONFIG_VIRTIO_NET=n, CONFIG_BLK_DEV_INITRD=n): a console-only kernel',
    );
  },
);

t.test('PVH: the compressed payload is found by the decompressor the config names', async (t) => {
  const { locatePayload } = await import('../../harness/kernel/pvh-vmlinux.js');
  const bz = Buffer.concat([Buffer.alloc(100, 0x90), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3])]);
  t.same(locatePayload(bz, parseKernelConfig('CONFIG_KERNEL_ZSTD=y\n')), { offset: 100, tool: ['zstd', '-dc', '-q'] });
  t.equal(locatePayload(bz, parseKernelConfig('CONFIG_KERNEL_GZIP=y\n')), undefined, 'no gzip stream in it');
  t.equal(
    locatePayload(bz, parseKernelConfig('CONFIG_KERNEL_LZ4=y\n')),
    undefined,
    'unsupported compression falls back',
  );
});

t.test("PVH: the carved vmlinux of a user's file goes into the cache, never beside the file", async (t) => {
  const { pvhPath } = await import('../../harness/kernel/pvh-vmlinux.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const cache = mkdtempSync(join(tmpdir(), 'lab-pvh-cache-'));
  const user = mkdtempSync(join(tmpdir(), 'lab-pvh-user-'));
  writeFileSync(join(user, 'vmlinuz-7.2'), 'bzImage bytes');
  const p = await pvhPath(join(user, 'vmlinuz-7.2'), cache);
  t.ok(p.startsWith(join(cache, 'pvh') + '/'), p);
  t.equal(
    await pvhPath(join(cache, 'kernels', 'debian', 'x', 'boot', 'vmlinuz-7.2'), cache),
    join(cache, 'kernels', 'debian', 'x', 'boot', 'vmlinux-pvh-7.2'),
    'beside a kernel in the cache',
  );
});
