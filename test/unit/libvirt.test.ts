import t from 'tap';
import { buildDomainXml } from '../../harness/vm/domain-xml.js';
import { parseLibvirtUri } from '../../harness/libvirt/libvirt-uri.js';
import { placeCells, type ProbedHost } from '../../harness/libvirt/placement.js';
import { GuestSpecSchema } from '../../harness/schema/guest.js';
import { HostSpecSchema, LabConfigSchema } from '../../harness/schema/lab-config.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { readCapabilities } from '../../harness/local-host/capabilities.js';

const guest = GuestSpecSchema.parse({ name: 'g' });
const base = {
  name: 'damon-lab-x1',
  guest,
  kernel: '/w/vmlinux',
  initrd: '/w/initrd.cpio',
  consoleLog: '/w/run/console.log',
  sshPort: 40022,
} as const;

t.test(
  'domain XML: TCG, direct kernel boot, console to a file, loopback-only SSH, every lifecycle event destroys',
  async (t) => {
    const { xml, cmdline } = buildDomainXml({ ...base, accel: 'tcg', extraCmdline: ['lab.tlb_churn'] });
    t.match(xml, /<domain type='qemu' xmlns:qemu='http:\/\/libvirt.org\/schemas\/domain\/qemu\/1.0'>/);
    t.match(xml, /<kernel>\/w\/vmlinux<\/kernel>\n\s*<initrd>\/w\/initrd.cpio<\/initrd>/);
    t.match(xml, /<cpu mode='maximum'>/);
    t.match(xml, /<memory unit='MiB'>1024<\/memory>/);
    t.match(xml, /<vcpu>2<\/vcpu>/);
    t.match(xml, /<serial type='file'>\s*<source path='\/w\/run\/console.log'\/>/);
    t.match(xml, /<qemu:arg value='user,id=labnet,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22'\/>/);
    t.notMatch(xml, /hostfwd=tcp::|0\.0\.0\.0/, 'never all interfaces');
    for (const e of ['on_poweroff', 'on_reboot', 'on_crash']) t.match(xml, new RegExp(`<${e}>destroy</${e}>`));
    t.match(xml, /<acpi\/>/, 'ACPI for poweroff and the SRAT of NUMA guests');
    t.notMatch(xml, /<pmu/, 'no vPMU under TCG');
    t.match(cmdline, /^console=ttyS0 .*lab\.tlb_churn$/);
    t.match(xml, new RegExp(`<cmdline>${cmdline}</cmdline>`));
  },
);

t.test('domain XML: KVM passes the host CPU and states the PMU mode; NUMA with a CPU-less cell', async (t) => {
  t.match(
    buildDomainXml({ ...base, accel: 'kvm' }).xml,
    /<domain type='kvm'[\s\S]*<pmu state='off'\/>[\s\S]*<cpu mode='host-passthrough'>/,
  );
  const legacy = GuestSpecSchema.parse({ name: 'g', pmu: 'legacy' });
  t.match(buildDomainXml({ ...base, guest: legacy, accel: 'kvm' }).xml, /<pmu state='on'\/>/);
  const numa = GuestSpecSchema.parse({
    name: 'g',
    cpus: 2,
    memory: '1536M',
    numa: [
      { cpus: 2, memory: '768M' },
      { cpus: 0, memory: '768M' },
    ],
  });
  const xml = buildDomainXml({ ...base, guest: numa, accel: 'tcg' }).xml;
  t.match(
    xml,
    /<numa>\s*<cell id='0' cpus='0-1' memory='768' unit='MiB'\/>\s*<cell id='1' memory='768' unit='MiB'\/>\s*<\/numa>/,
  );
});

t.test(
  'domain XML: console-only has no NIC and no initrd; a root disk is transient (the cached image is never written); values are escaped',
  async (t) => {
    const { initrd: _i, sshPort: _p, ...rest } = base;
    const c = buildDomainXml({ ...rest, accel: 'tcg', extraCmdline: ['kunit_shutdown=reboot'] }).xml;
    t.notMatch(c, /<initrd>|qemu:commandline|netdev/);
    const d = buildDomainXml({ ...base, accel: 'tcg', rootDisk: '/w/rootfs-1.ext4', extraCmdline: ["a='b'&<c>"] });
    t.match(d.xml, /<source file='\/w\/rootfs-1.ext4'\/>\s*<target dev='vda' bus='virtio'\/>\s*<transient\/>/);
    t.match(d.cmdline, /lab\.rootfs=\/dev\/vda/);
    t.match(d.xml, /a=&apos;b&apos;&amp;&lt;c&gt;/);
  },
);

t.test('libvirt URIs: local, and ssh with user, port and key', async (t) => {
  t.same(parseLibvirtUri('qemu:///system'), { uri: 'qemu:///system', driver: 'qemu', path: '/system' });
  t.same(parseLibvirtUri('qemu+ssh://lab@10.0.0.5:2222/system?keyfile=/k/id&no_verify=1').ssh, {
    user: 'lab',
    host: '10.0.0.5',
    port: 2222,
    keyfile: '/k/id',
    noVerify: true,
  });
  t.same(parseLibvirtUri('qemu+ssh://lab@h/system?keyfile=/k/id&known_hosts=/k/kh').ssh, {
    user: 'lab',
    host: 'h',
    port: 22,
    keyfile: '/k/id',
    knownHosts: '/k/kh',
  });
  t.same(parseLibvirtUri('qemu+ssh://host1/system').ssh, { user: 'root', host: 'host1', port: 22 });
  t.throws(() => parseLibvirtUri('qemu://host1/system'), /needs a transport/);
  t.throws(() => parseLibvirtUri('xen:///system'), /not a qemu libvirt URI/);
});

t.test(
  'host keys: a remote host is checked against known_hosts, ports in brackets, hashed entries never match',
  async (t) => {
    const { knownHostKey } = await import('../../harness/libvirt/libvirt-uri.js');
    const kh =
      '# comment\n[127.0.0.1]:2222 ssh-ed25519 AAAAkey1\nhost1,10.0.0.5 ssh-ed25519 AAAAkey2\n|1|hash= ssh-ed25519 AAAAkey3\n';
    t.ok(knownHostKey(kh, '127.0.0.1', 2222, 'AAAAkey1'));
    t.notOk(knownHostKey(kh, '127.0.0.1', 22, 'AAAAkey1'), 'another port is another host');
    t.ok(knownHostKey(kh, '10.0.0.5', 22, 'AAAAkey2'));
    t.notOk(knownHostKey(kh, 'host1', 22, 'AAAAkey1'), 'a different key');
  },
);

t.test('lab config: a hosts inventory, schema-checked with the file and line of a mistake', async (t) => {
  const c = parseYaml(
    'hosts:\n  - name: amd1\n    uri: qemu+ssh://root@amd1/system\n    max_guests: 4\n',
    'lab.yaml',
    LabConfigSchema,
  );
  t.equal(c.hosts[0]!.workdir, undefined, "no shared default: the SSH user's own ~/.cache/damon-lab, made 0700");
  t.throws(
    () =>
      parseYaml(
        "hosts:\n  - name: amd1\n    uri: qemu:///system\n    workdir: '/tmp/a b'\n",
        'lab.yaml',
        LabConfigSchema,
      ),
    /without spaces or quotes/,
  );
  t.equal(c.hosts[0]!.accel, 'auto');
  t.throws(
    () => parseYaml('hosts:\n  - name: amd1\n    uri: http://x\n', 'lab.yaml', LabConfigSchema),
    /lab\.yaml:3: 'hosts\.0\.uri'/,
  );
  t.throws(
    () => parseYaml('hosts:\n  - name: amd1\n    uri: qemu:///system\n    cpus: 4\n', 'lab.yaml', LabConfigSchema),
    /lab\.yaml:4: unknown key 'hosts\.0\.cpus'/,
  );
});

t.test("a host folder is the lab's only when the SSH user owns it alone", async (t) => {
  const { privateDirProblem } = await import('../../harness/libvirt/host-link.js');
  t.equal(privateDirProblem('0 700', '0'), undefined);
  t.equal(privateDirProblem('1000 700\n', '1000\n'), undefined);
  t.match(privateDirProblem('1001 700', '0'), /belongs to uid 1001, not to the SSH user \(uid 0\)/);
  t.match(privateDirProblem('0 1777', '0'), /mode is 1777: not closed to other users/);
  t.match(privateDirProblem('0 755', '0'), /mode is 755/);
  t.match(privateDirProblem('', '0'), /cannot read its owner and mode/);
});

const amdCpuinfo = 'vendor_id\t: AuthenticAMD\nflags\t\t: fpu ibs perfctr_core\n';
const intelCpuinfo = 'vendor_id\t: GenuineIntel\nflags\t\t: fpu arch_perfmon\n';
const host = (
  name: string,
  accel: 'kvm' | 'tcg',
  cpuinfo: string,
  kvm: Record<string, string> = {},
  maxGuests = 2,
): ProbedHost => ({
  spec: HostSpecSchema.parse({ name, uri: 'qemu:///system', max_guests: maxGuests }),
  accel,
  accelReason: accel === 'kvm' ? 'probe booted' : 'KVM internal error',
  capabilities: readCapabilities(cpuinfo, [], kvm, cpuinfo.includes('AMD') ? 'kvm_amd' : 'kvm_intel'),
});

t.test(
  'placement: requires: picks hosts, load spreads cells, and an unplaceable cell says what every host lacks',
  async (t) => {
    const hosts = [
      host('tcg1', 'tcg', intelCpuinfo),
      host('amd1', 'kvm', amdCpuinfo, { vibs: 'Y', enable_pmu: 'Y' }),
      host('intel1', 'kvm', intelCpuinfo, { enable_pmu: 'Y' }),
    ];
    const g = { pmu: 'legacy' as const };
    const p = placeCells(
      [
        { id: 'a', requires: [], guest: g },
        { id: 'b', requires: [], guest: g },
        { id: 'c', requires: [], guest: g },
        { id: 'ibs', requires: ['guest_ibs'], guest: g },
        { id: 'vpmu', requires: ['vpmu'], guest: g },
        { id: 'mediated', requires: ['mediated_vpmu'], guest: { pmu: 'mediated' } },
      ],
      hosts,
    );
    t.same(
      ['a', 'b', 'c'].map((id) => p.get(id)),
      [{ host: 'tcg1' }, { host: 'amd1' }, { host: 'intel1' }],
      'one each before any host gets two',
    );
    t.same(p.get('ibs'), { host: 'amd1' });
    t.same(p.get('vpmu'), { host: 'intel1' }, 'the less loaded of the two KVM hosts');
    const m = p.get('mediated') as { skip: string };
    t.match(
      m.skip,
      /^no host meets requires: mediated_vpmu \(tcg1: needs KVM's mediated vPMU; this run uses TCG \(KVM internal error\) \| amd1: needs kvm_amd\.enable_mediated_pmu=Y/,
    );
    t.same(placeCells([{ id: 'x', requires: [], guest: g }], []).get('x'), { skip: 'no hosts in the lab config' });
  },
);

t.test('lab.example.yaml is a valid lab config', async (t) => {
  const { loadYamlFile } = await import('../../harness/schema/load-yaml.js');
  const c = loadYamlFile(new URL('../../lab.example.yaml', import.meta.url).pathname, LabConfigSchema);
  t.same(
    c.hosts.map((h) => h.name),
    ['amd-ibs-1', 'intel-7', 'here'],
  );
  t.equal(parseLibvirtUri(c.hosts[1]!.uri).ssh?.port, 2222);
});

t.test('accel on a libvirt host: the guest wish against what the host probe found', async (t) => {
  const { hostAccel } = await import('../../harness/local-host/accel.js');
  const kvmHost = host('amd1', 'kvm', amdCpuinfo);
  const tcgHost = host('tcg1', 'tcg', intelCpuinfo);
  t.same(hostAccel('auto', kvmHost), { accel: 'kvm', reason: 'amd1: probe booted' });
  t.same(hostAccel('tcg', kvmHost), { accel: 'tcg', reason: 'guest asks for tcg' });
  t.same(hostAccel('auto', tcgHost), { accel: 'tcg', reason: 'KVM internal error' });
  t.throws(
    () => hostAccel('kvm', tcgHost),
    /guest asks for accel: kvm, but host tcg1 cannot give it: KVM internal error/,
  );
});

t.test(
  'known_hosts: hashed entries (HashKnownHosts yes, as ssh-keygen -H writes them) match; markers never vouch',
  async (t) => {
    const { knownHostKey } = await import('../../harness/libvirt/libvirt-uri.js');
    const { execa } = await import('execa');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'lab-kh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(file, 'lab-host.example ssh-ed25519 AAAAkeyA\n[lab-host.example]:2222 ssh-ed25519 AAAAkeyB\n');
    // ssh-keygen hashes the file the way ssh does with HashKnownHosts yes (openssh-client is on every Debian).
    const r = await execa('ssh-keygen', ['-H', '-f', file], { reject: false });
    t.equal(r.exitCode, 0, r.stderr);
    const hashed = readFileSync(file, 'utf8');
    t.notMatch(hashed, /lab-host\.example/, 'no plain name left');
    t.ok(knownHostKey(hashed, 'lab-host.example', 22, 'AAAAkeyA'));
    t.ok(knownHostKey(hashed, 'lab-host.example', 2222, 'AAAAkeyB'));
    t.notOk(knownHostKey(hashed, 'lab-host.example', 22, 'AAAAkeyB'), 'the key of another port');
    t.notOk(knownHostKey(hashed, 'other.example', 22, 'AAAAkeyA'));
    t.notOk(knownHostKey('@revoked lab-host.example ssh-ed25519 AAAAkeyA\n', 'lab-host.example', 22, 'AAAAkeyA'));
  },
);
