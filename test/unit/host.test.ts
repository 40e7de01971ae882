import t from 'tap';
import { missingPackages } from '../../harness/local-host/packages.js';
import { judgeKvmProbe } from '../../harness/local-host/kvm-probe.js';
import { doctorFailed, formatDoctor } from '../../harness/local-host/doctor.js';

t.test('dpkg-query status: only "install ok installed" counts', async (t) => {
  const status = 'qemu-system-x86\tinstall ok installed\nbusybox-static\tdeinstall ok config-files\n';
  t.same(missingPackages(['qemu-system-x86', 'busybox-static', 'kmod'], status), ['busybox-static', 'kmod']);
});

t.test('KVM probe: an internal error is unusable even though /dev/kvm exists', async (t) => {
  // What QEMU printed on this machine's nested KVM (recorded).
  const out =
    'KVM internal error. Suberror: 1\nextra data[0]: 0x0000000000000000\nRAX=0000000000000000 RBX=0000000000000000\n';
  const v = judgeKvmProbe(out, false);
  t.equal(v.usable, false);
  t.match(v.reason, /KVM internal error\. Suberror: 1/);
});

t.test('KVM probe: reaching the root-mount panic proves KVM runs the kernel', async (t) => {
  const out =
    '[    0.000000] Linux version 6.12.117\n[    0.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n';
  t.equal(judgeKvmProbe(out, false).usable, true);
  t.equal(judgeKvmProbe('', true).usable, false);
  t.equal(judgeKvmProbe('qemu-system-x86_64: failed to initialize kvm: Permission denied', false).usable, false);
});

t.test('doctor: a missing required item fails, a warning does not', async (t) => {
  const lines = [
    { name: 'qemu', status: 'ok' as const, detail: '7.2', required: true },
    { name: 'kvm', status: 'warn' as const, detail: 'unusable', fix: 'TCG', required: false },
  ];
  t.equal(doctorFailed(lines), false);
  t.equal(
    doctorFailed([
      ...lines,
      { name: 'busybox', status: 'missing' as const, detail: 'not found', fix: 'lab setup', required: true },
    ]),
    true,
  );
  t.match(formatDoctor(lines), /^OK {6}qemu {2}7\.2\nWARN {4}kvm {3}unusable\n {14}fix: TCG$/);
});
