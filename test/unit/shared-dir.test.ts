// --share: the directory checked, the transport chosen from the kernel's config, QEMU's and virtiofsd's argv, the
// command line init reads, and a run that cannot share (no transport, a console kernel, a libvirt host) refused.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findVirtiofsd,
  shareCmdline,
  shareFsFor,
  shareModules,
  shareQemuArgs,
  shareRequest,
  virtiofsdArgv,
} from '../../harness/vm/shared-dir.js';
import { buildQemuArgv } from '../../harness/vm/qemu-argv.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { parseKernelConfig } from '../../harness/kernel/kconfig.js';
import { kernelFit, runCmdline, snapshotEligible } from '../../harness/run/run-plan.js';
import { SuiteSpecSchema } from '../../harness/schema/suite.js';
import { UsageError } from '../../harness/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'share-unit-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

const DEBIAN = parseKernelConfig('CONFIG_FUSE_FS=y\nCONFIG_VIRTIO_FS=y\n# CONFIG_NET_9P is not set\n');
const NINE_P = parseKernelConfig('CONFIG_NET_9P=m\nCONFIG_NET_9P_VIRTIO=m\nCONFIG_9P_FS=m\n');
const SSH = 'CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_NET=y\nCONFIG_BLK_DEV_INITRD=y\n';

t.test('the directory: made absolute, must exist and be one, not /, one word on the command line', async (t) => {
  const d = join(root, 'work');
  mkdirSync(d);
  writeFileSync(join(root, 'file'), '');
  t.same(shareRequest('work', false, root), { dir: d, writable: false }, 'relative to the current directory');
  t.same(shareRequest(d, true), { dir: d, writable: true });
  t.throws(() => shareRequest(join(root, 'nope'), false), { name: 'UsageError', message: /no such directory/ });
  t.throws(() => shareRequest(join(root, 'file'), false), { message: /not a directory/ });
  t.throws(() => shareRequest('/', false), { message: /own root/ });
  for (const bad of ['a b', 'a,b', 'a"b', 'a\tb']) {
    mkdirSync(join(root, bad));
    t.throws(() => shareRequest(join(root, bad), false), UsageError, `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('the transport: virtiofs where the kernel has it, else 9p, else why not', async (t) => {
  t.same(shareFsFor(DEBIAN), { fs: 'virtiofs' });
  t.same(shareFsFor(NINE_P), { fs: '9p' });
  const none = shareFsFor(parseKernelConfig('CONFIG_9P_FS=y\n'));
  t.match(none, { missing: /neither CONFIG_VIRTIO_FS \(n\) nor CONFIG_9P_FS with CONFIG_NET_9P_VIRTIO \(y, n\)/ });
  t.same(shareModules(DEBIAN, 'virtiofs'), [], 'built in: nothing to load');
  t.same(shareModules(parseKernelConfig('CONFIG_FUSE_FS=m\nCONFIG_VIRTIO_FS=m\n'), 'virtiofs'), ['fuse', 'virtiofs']);
  t.same(shareModules(NINE_P, '9p'), ['9pnet', '9pnet_virtio', '9p']);
});

t.test('QEMU: virtiofs over a vhost-user socket with shared guest RAM; 9p read-only in QEMU itself', async (t) => {
  const guest = GuestSpecSchema.parse({ name: 'g', memory: '1G' });
  const base = { guest, accel: 'tcg', qemu: 'q', kernel: '/k', initrd: '/i', runDir: '/r', sshPort: 4000 } as const;
  const vfs = { dir: '/src/x', writable: false, fs: 'virtiofs' } as const;
  const p = buildQemuArgv({ ...base, share: vfs, virtiofsSocket: '/r/virtiofsd.sock' });
  t.same(after(p.argv, '-machine'), ['pc,memory-backend=labmem']);
  t.ok(p.argv.includes('memory-backend-memfd,id=labmem,size=1024M,share=on'), 'guest RAM virtiofsd can map');
  t.ok(p.argv.includes('socket,id=labfs,path=/r/virtiofsd.sock'));
  t.ok(p.argv.includes('vhost-user-fs-pci,chardev=labfs,tag=labshare'));
  t.same(after(buildQemuArgv(base).argv, '-machine'), ['pc'], 'no share: RAM as before');
  const numa = GuestSpecSchema.parse({
    name: 'n',
    cpus: 2,
    memory: '2G',
    numa: [
      { cpus: 2, memory: '1G' },
      { cpus: 0, memory: '1G' },
    ],
  });
  const pn = buildQemuArgv({ ...base, guest: numa, share: vfs, virtiofsSocket: '/r/s' });
  t.same(after(pn.argv, '-machine'), ['pc'], 'NUMA: each node’s memory is shared instead');
  t.same(after(pn.argv, '-object'), [
    'memory-backend-memfd,id=mem0,size=1024M,share=on',
    'memory-backend-memfd,id=mem1,size=1024M,share=on',
  ]);
  t.same(shareQemuArgs({ dir: '/src/x', writable: false, fs: '9p' }, undefined), [
    '-fsdev',
    'local,id=labfs,path=/src/x,security_model=none,readonly=on',
    '-device',
    'virtio-9p-pci,fsdev=labfs,mount_tag=labshare',
  ]);
  t.notMatch(shareQemuArgs({ dir: '/s', writable: true, fs: '9p' }, undefined)[1]!, /readonly/);
  t.throws(() => shareQemuArgs(vfs, undefined), /virtiofsd socket/);
});

t.test(
  'virtiofsd: read-only enforced by a read-only bind mount in its own mount namespace; paths as arguments',
  async (t) => {
    const ro = virtiofsdArgv('/usr/lib/qemu/virtiofsd', { dir: '/src/x', writable: false, fs: 'virtiofs' }, '/r/s');
    t.same(ro.slice(0, 5), ['unshare', '--mount', '--propagation', 'private', '--']);
    t.equal(ro[7], 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'a fixed script');
    t.same(ro.slice(8), [
      'sh',
      '/src/x',
      '/usr/lib/qemu/virtiofsd',
      '--socket-path=/r/s',
      '-o',
      'source=/src/x',
      '-o',
      'cache=auto',
    ]);
    t.same(virtiofsdArgv('/v', { dir: '/d', writable: true, fs: 'virtiofs' }, '/s'), [
      '/v',
      '--socket-path=/s',
      '-o',
      'source=/d',
      '-o',
      'cache=auto',
    ]);
    t.equal(findVirtiofsd([join(root, 'none'), join(root, 'file')]), join(root, 'file'), 'the first that exists');
    t.equal(findVirtiofsd([join(root, 'none')]), undefined);
  },
);

t.test('the run: init’s words, no snapshot, and kernels that cannot share refused', async (t) => {
  const suite = SuiteSpecSchema.parse({ name: 's', scenario: 'x' });
  const share = { dir: '/src/x', writable: true };
  const fit = kernelFit(
    parseKernelConfig(SSH + 'CONFIG_FUSE_FS=y\nCONFIG_VIRTIO_FS=y\n'),
    suite,
    { console: false },
    share,
  );
  t.same(fit.share, { dir: '/src/x', writable: true, fs: 'virtiofs' });
  t.same(shareCmdline(fit.share!), ['lab.share=/src/x', 'lab.share_fs=virtiofs', 'lab.share_rw']);
  t.same(runCmdline(suite, fit, 'tcg').slice(-3), ['lab.share=/src/x', 'lab.share_fs=virtiofs', 'lab.share_rw']);
  t.notOk(snapshotEligible({ snapshots: 'on', suite, share }, fit, undefined), 'QEMU cannot save a shared guest');
  t.ok(
    snapshotEligible(
      { snapshots: 'on', suite },
      kernelFit(parseKernelConfig(SSH), suite, { console: false }),
      undefined,
    ),
  );
  t.throws(() => kernelFit(parseKernelConfig(SSH), suite, { console: false }, share), {
    name: 'UsageError',
    message: /--share \/src\/x: the kernel has neither CONFIG_VIRTIO_FS/,
  });
  t.throws(() => kernelFit(parseKernelConfig('CONFIG_VIRTIO_FS=y\n'), suite, { console: true }, share), {
    message: /console-only kernel, with no init/,
  });
});
