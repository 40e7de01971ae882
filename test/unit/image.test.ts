import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withParents, writeCpio } from '../../harness/image/cpio.js';
import { parseLddOutput } from '../../harness/image/shared-libs.js';
import { moduleClosure, moduleName, parseModulesDep } from '../../harness/kernel/modules-dep.js';

t.test('cpio newc round-trips through busybox cpio', async (t) => {
  const archive = writeCpio(
    withParents([
      { kind: 'file', path: 'etc/lab/modules', data: Buffer.from('virtio_net\n') },
      { kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
      { kind: 'dir', path: 'root', mode: 0o700 },
    ]),
  );
  const dir = mkdtempSync(join(tmpdir(), 'cpio-'));
  writeFileSync(join(dir, 'a.cpio'), archive);
  const list = await execa('busybox', ['cpio', '-t', '-F', join(dir, 'a.cpio')]);
  t.same(list.stdout.split('\n').filter(Boolean), [
    'bin',
    'bin/sh',
    'etc',
    'etc/lab',
    'etc/lab/modules',
    'init',
    'root',
  ]);
  await execa('busybox', ['cpio', '-i', '-d', '-F', join(dir, 'a.cpio')], { cwd: dir });
  t.equal(readFileSync(join(dir, 'etc/lab/modules'), 'utf8'), 'virtio_net\n');
  t.equal(readlinkSync(join(dir, 'bin/sh')), 'busybox');
  t.equal(lstatSync(join(dir, 'init')).mode & 0o777, 0o755);
});

t.test('cpio output is reproducible (content-addressed cache)', async (t) => {
  const entries = [{ kind: 'file' as const, path: 'x', data: Buffer.from('1') }];
  t.same(writeCpio(withParents(entries)), writeCpio(withParents(entries)));
});

t.test('ldd output: libraries with paths, vdso skipped', async (t) => {
  const out = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f4d)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f4d474a6000)\n`;
  t.same(parseLddOutput(out), ['/lib/x86_64-linux-gnu/libz.so.1', '/lib64/ld-linux-x86-64.so.2']);
});

t.test('module closure: dependencies first, unknown names reported', async (t) => {
  const dep = parseModulesDep(
    [
      'kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz',
      'kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz',
      'kernel/net/core/failover.ko.xz:',
      'kernel/mm/damon/damon-lab-ops.ko.xz:',
    ].join('\n'),
  );
  const c = moduleClosure(dep, ['virtio_net', 'damon_lab_ops', 'nosuch']);
  t.same(c.paths, [
    'kernel/net/core/failover.ko.xz',
    'kernel/drivers/net/net_failover.ko.xz',
    'kernel/drivers/net/virtio_net.ko.xz',
    'kernel/mm/damon/damon-lab-ops.ko.xz',
  ]);
  t.same(c.unknown, ['nosuch']);
  t.equal(moduleName('kernel/mm/damon/damon-lab-ops.ko.xz'), 'damon_lab_ops');
});

t.test('Debian mirror from the host apt sources', async (t) => {
  const { debianMirror } = await import('../../harness/image/rootfs.js');
  const deb822 =
    'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n';
  t.equal(debianMirror(deb822), 'http://mirror.example/debian');
  t.equal(debianMirror('deb [arch=amd64] http://m.example/debian bookworm main\n'), 'http://m.example/debian');
  t.equal(debianMirror(''), 'http://deb.debian.org/debian');
});
