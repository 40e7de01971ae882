import t from 'tap';
import { randomBytes } from 'node:crypto';
import { cacheRoot } from '../../harness/util/paths.js';
import { debianDefaultKernel } from '../../harness/kernel/debian-kernel.js';
import { bootableKernel } from '../../harness/kernel/pvh-vmlinux.js';
import { ensureLabKeys } from '../../harness/guest/lab-keys.js';
import { buildInitramfs } from '../../harness/image/initramfs.js';
import { startGuest } from '../../harness/vm/boot-guest.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { DamonSysfs, DamonSysfsError } from '../../harness/damon/sysfs-driver.js';
import { lab } from './lab-cli.js';

t.test('lab doctor reports every prerequisite and reads KVM for real', async (t) => {
  const r = await lab(['doctor']);
  t.equal(r.exitCode, 0, r.all);
  for (const name of ['packages', 'qemu', 'busybox', 'dropbear', 'cache space', 'default kernel', 'kvm', 'accel'])
    t.match(r.stdout, new RegExp(`^\\S+\\s+${name}\\s`, 'm'), name);
  t.match(r.stdout, /accel: auto resolves to (kvm|tcg)/);
});

t.test('a real guest: exec with exit codes and stderr, upload and download, DAMON sysfs errors', async (t) => {
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
  const guest = await startGuest({
    guest: GuestSpecSchema.parse({ name: 't', accel: 'tcg' }),
    accel: 'tcg',
    qemu: 'qemu-system-x86_64',
    kernel: boot.path,
    initrd: image.path,
  });
  t.teardown(async () => {
    await guest.shutdown();
    guest.removeRunDir();
  });
  t.equal(await guest.waitReady(60000), kernel.release);
  const ssh = await guest.connectSsh(keys, 15000);

  const r = await ssh.exec('echo out; echo err >&2; exit 7');
  t.same(r, { code: 7, stdout: 'out\n', stderr: 'err\n' });
  t.equal(
    (await ssh.run(['printf', '%s', "it's a $HOME; rm -rf /"])).stdout,
    "it's a $HOME; rm -rf /",
    'argv words are quoted, never interpreted',
  );

  const blob = randomBytes(300 * 1024);
  await ssh.upload(blob, '/tmp/blob', 0o600);
  t.equal((await ssh.exec('stat -c %a:%s /tmp/blob')).stdout.trim(), `600:${blob.length}`);
  t.ok((await ssh.download('/tmp/blob')).equals(blob), 'download returns the uploaded bytes');
  await t.rejects(ssh.download('/tmp/nonexistent'), /download of \/tmp\/nonexistent failed/);

  const damon = new DamonSysfs(ssh);
  const probe = await damon.probe();
  t.ok(probe.availOperations.includes('paddr'));
  const err = await damon
    .apply({ kdamonds: [{ contexts: [{ operations: 'paddr_ibs', targets: [] }] }] })
    .catch((e: unknown) => e);
  t.type(err, DamonSysfsError, 'the kernel rejects an operations set it does not have');
  t.equal((err as DamonSysfsError).path, '/sys/kernel/mm/damon/admin/kdamonds/0/contexts/0/operations');
  t.match((err as DamonSysfsError).error, /Invalid argument/);
});

t.test(
  "a real guest's boot script: run before the network, then SSH; a panic in it ends the wait without a boot failure",
  async (t) => {
    const cache = cacheRoot();
    const kernel = await debianDefaultKernel(cache);
    const keys = await ensureLabKeys(cache);
    const boot = await bootableKernel(kernel.vmlinuz, kernel.config);
    const start = async (bootScript: string) => {
      const image = await buildInitramfs(cache, {
        kernel,
        keys,
        modules: [],
        workloads: {},
        bootScript,
        busybox: '/bin/busybox',
        dropbear: '/usr/sbin/dropbear',
      });
      const guest = await startGuest({
        guest: GuestSpecSchema.parse({ name: 't', accel: 'tcg' }),
        accel: 'tcg',
        qemu: 'qemu-system-x86_64',
        kernel: boot.path,
        initrd: image.path,
      });
      t.teardown(async () => {
        await guest.shutdown();
        guest.removeRunDir();
      });
      return guest;
    };

    const ok = await start('echo "boot work: $(cat /proc/sys/kernel/osrelease)"\n');
    t.equal(await ok.waitReady(60000, 'boot-script'), kernel.release, 'the script starts: the kernel booted');
    t.equal(await ok.waitBootScript(), true);
    t.match(ok.consoleText(), new RegExp(`^boot work: ${kernel.release.replace(/[.+]/g, '\\$&')}`, 'm'));
    t.ok(
      ok.consoleText().indexOf('boot work:') < ok.consoleText().indexOf('LAB-READY') ||
        !ok.consoleText().includes('LAB-READY'),
      'before the network and sshd',
    );
    t.match(ok.consoleText(), /LAB-BOOT-DONE \S+ rc=0/);
    t.equal(await ok.waitReady(60000), kernel.release, 'then the network and sshd');
    const ssh = await ok.connectSsh(keys, 15000);
    t.equal((await ssh.exec('echo up')).stdout, 'up\n');

    const crash = await start('echo c > /proc/sysrq-trigger\n');
    t.equal(await crash.waitReady(60000, 'boot-script'), kernel.release);
    t.equal(await crash.waitBootScript(), false, 'QEMU ended (panic=-1, -no-reboot) before the script was done');
    t.ok(
      crash.watcher.findings.some((f) => f.kind === 'panic'),
      'the console has the panic',
    );
  },
);
