import t from 'tap';
import { buildQemuArgv } from '../../harness/vm/qemu-argv.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';

const guest = GuestSpecSchema.parse({ name: 'g' });
const base = {
  guest,
  qemu: 'qemu-system-x86_64',
  kernel: '/k/vmlinuz',
  initrd: '/i/initrd.cpio',
  runDir: '/tmp/run',
  sshPort: 40022,
} as const;
const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

t.test('TCG: direct kernel boot, console to a file, QMP in the run dir, loopback-only SSH', async (t) => {
  const p = buildQemuArgv({ ...base, accel: 'tcg' });
  t.equal(p.argv[0], 'qemu-system-x86_64');
  t.same(after(p.argv, '-accel'), ['tcg,thread=single'], 'single-threaded TCG unless asked');
  t.same(after(buildQemuArgv({ ...base, accel: 'tcg', tcgThreads: 'multi' }).argv, '-accel'), ['tcg,thread=multi']);
  t.same(after(p.argv, '-cpu'), ['max']);
  t.same(after(p.argv, '-smp'), ['2']);
  t.same(after(p.argv, '-m'), ['1024M']);
  t.same(after(p.argv, '-kernel'), ['/k/vmlinuz']);
  t.same(after(p.argv, '-initrd'), ['/i/initrd.cpio']);
  t.same(after(p.argv, '-chardev'), ['file,id=console,path=/tmp/run/console.log']);
  t.same(after(p.argv, '-qmp'), ['unix:/tmp/run/qmp.sock,server=on,wait=off']);
  t.same(after(p.argv, '-netdev'), ['user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22']);
  t.ok(p.argv.includes('-no-reboot'), 'a panic ends QEMU');
  t.match(p.cmdline, /console=ttyS0/);
  t.match(p.cmdline, /panic=-1/);
  t.notOk(
    p.argv.some((a) => /hostfwd=tcp::|hostfwd=tcp:0\.0\.0\.0/.test(a)),
    'never all interfaces',
  );
});

t.test('console-only: no initrd, no network device, nothing forwarded', async (t) => {
  const { initrd: _i, sshPort: _p, ...rest } = base;
  const p = buildQemuArgv({ ...rest, accel: 'tcg' });
  t.same(after(p.argv, '-kernel'), ['/k/vmlinuz']);
  t.notOk(p.argv.includes('-initrd'));
  t.notOk(p.argv.includes('-netdev'));
  t.notOk(p.argv.some((a) => a.startsWith('virtio-net')));
  t.ok(p.argv.includes('-no-reboot'), 'kunit_shutdown=reboot ends QEMU');
});

t.test('KVM: host CPU, PMU hidden unless asked for', async (t) => {
  t.same(after(buildQemuArgv({ ...base, accel: 'kvm' }).argv, '-cpu'), ['host,pmu=off']);
  const legacy = GuestSpecSchema.parse({ name: 'g', pmu: 'legacy' });
  t.same(after(buildQemuArgv({ ...base, guest: legacy, accel: 'kvm' }).argv, '-cpu'), ['host,pmu=on']);
});

t.test('NUMA: a CPU-less node gets memory and no cpus', async (t) => {
  const g = GuestSpecSchema.parse({
    name: 'g',
    cpus: 2,
    memory: '2G',
    numa: [
      { cpus: 2, memory: '1G' },
      { cpus: 0, memory: '1G' },
    ],
  });
  const p = buildQemuArgv({ ...base, guest: g, accel: 'tcg' });
  t.same(after(p.argv, '-numa'), ['node,nodeid=0,memdev=mem0,cpus=0-1', 'node,nodeid=1,memdev=mem1']);
  t.same(after(p.argv, '-object'), ['memory-backend-ram,id=mem0,size=1024M', 'memory-backend-ram,id=mem1,size=1024M']);
});

t.test('guest and run cmdline words are appended after the base', async (t) => {
  const g = GuestSpecSchema.parse({ name: 'g', cmdline: ['loglevel=7'] });
  const p = buildQemuArgv({ ...base, guest: g, accel: 'tcg', extraCmdline: ['kunit.filter_glob=damon*'] });
  t.match(p.cmdline, /panic=-1 .*loglevel=7 kunit\.filter_glob=damon\*$/);
});

t.test('a rootfs guest: the disk in snapshot mode, and lab.rootfs on the command line', async (t) => {
  const p = buildQemuArgv({ ...base, accel: 'tcg', rootDisk: '/c/rootfs.ext4' });
  t.same(after(p.argv, '-drive'), ['file=/c/rootfs.ext4,if=virtio,format=raw,snapshot=on']);
  t.match(p.cmdline, /lab\.rootfs=\/dev\/vda/);
  t.notMatch(buildQemuArgv({ ...base, accel: 'tcg' }).cmdline, /lab\.rootfs/);
});
