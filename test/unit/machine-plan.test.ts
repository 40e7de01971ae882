// One machine plan, two renderers: QEMU's argv and libvirt's domain XML must start the same machine.
import t from 'tap';
import { planMachine } from '../../harness/vm/machine-plan.js';
import { qemuArgv } from '../../harness/vm/qemu-argv.js';
import { domainXml } from '../../harness/vm/domain-xml.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';

const cxl = GuestSpecSchema.parse({
  name: 'numa-cxl',
  cpus: 2,
  memory: '3G',
  pmu: 'legacy',
  cmdline: ['loglevel=7'],
  numa: [
    { cpus: 2, memory: '2G' },
    { cpus: 0, memory: '1G' },
  ],
});
const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

t.test('planMachine: NUMA ranges, CPU-less node, PMU by accelerator, command line once', async (t) => {
  const m = planMachine({ guest: cxl, accel: 'kvm', kernel: '/k', initrd: '/i', sshPort: 2222, extraCmdline: ['x=1'] });
  t.same(m.numa, [{ memoryMiB: 2048, cpus: { first: 0, last: 1 } }, { memoryMiB: 1024 }]);
  t.equal(m.pmu, 'on');
  t.equal(planMachine({ guest: cxl, accel: 'tcg', kernel: '/k' }).pmu, 'absent', 'no vPMU under TCG');
  t.equal(
    planMachine({ guest: GuestSpecSchema.parse({ name: 'g' }), accel: 'kvm', kernel: '/k' }).pmu,
    'off',
    'pmu: none hides it',
  );
  t.match(m.cmdline, /^console=ttyS0 .* loglevel=7 x=1$/);
  t.same(m.cpu, { best: true });
});

t.test('both renderers draw the same machine from one plan', async (t) => {
  for (const accel of ['kvm', 'tcg'] as const) {
    const m = planMachine({
      guest: cxl,
      accel,
      kernel: '/k/vmlinux',
      initrd: '/i/initrd',
      rootDisk: '/d/root.ext4',
      sshPort: 40022,
      extraCmdline: ['lab.tlb_churn'],
    });
    const q = qemuArgv(m, { qemu: 'qemu-system-x86_64', runDir: '/run' });
    const d = domainXml(m, { name: 'lab-1', consoleLog: '/run/console.log' });
    t.equal(q.cmdline, d.cmdline, `${accel}: one command line`);
    t.equal(after(q.argv, '-append')[0], m.cmdline);
    t.match(d.xml, new RegExp(`<cmdline>${m.cmdline.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</cmdline>`));
    t.same(after(q.argv, '-numa'), ['node,nodeid=0,memdev=mem0,cpus=0-1', 'node,nodeid=1,memdev=mem1']);
    t.match(d.xml, /<cell id='0' cpus='0-1' memory='2048' unit='MiB'\/>\s*<cell id='1' memory='1024' unit='MiB'\/>/);
    const netdev = after(q.argv, '-netdev')[0];
    t.equal(netdev, 'user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22');
    t.match(d.xml, /<qemu:arg value='user,id=labnet,restrict=on,hostfwd=tcp:127\.0\.0\.1:40022-:22'\/>/);
    t.match(d.xml, /<transient\/>/, 'the root disk is never written (libvirt)');
    t.same(after(q.argv, '-drive'), ['file=/d/root.ext4,if=virtio,format=raw,snapshot=on'], 'nor by QEMU');
    if (accel === 'kvm') {
      t.same(after(q.argv, '-cpu'), ['host,pmu=on']);
      t.match(d.xml, /<pmu state='on'\/>[\s\S]*<cpu mode='host-passthrough'>/);
    } else {
      t.same(after(q.argv, '-cpu'), ['max']);
      t.notMatch(d.xml, /<pmu/);
      t.match(d.xml, /<cpu mode='maximum'>/);
    }
  }
});

t.test('a console-only machine: no network in either', async (t) => {
  const m = planMachine({ guest: cxl, accel: 'tcg', kernel: '/k' });
  t.notOk(qemuArgv(m, { qemu: 'q', runDir: '/r' }).argv.includes('-netdev'));
  t.notMatch(domainXml(m, { name: 'n', consoleLog: '/c' }).xml, /qemu:commandline/);
});
