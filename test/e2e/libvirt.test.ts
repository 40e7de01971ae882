import t from 'tap';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { lab, newReportsDir, onlyReport } from './lab-cli.js';
import { startLibvirtEnv, type LibvirtEnv } from './libvirt-env.js';
import type { MatrixSummary } from '../../harness/matrix/run-matrix.js';

// A real libvirtd (and virtlogd, and a loopback sshd for the qemu+ssh:// host), started for these tests
// and stopped after them. Guests are TCG domains: KVM is unusable on this machine.
let env: LibvirtEnv;
// One vCPU: libvirt starts TCG guests multi-threaded (it has no setting for thread=single, which the
// lab's own QEMU uses), and there Debian's 7.2 kernel can hit a stale int3 while patching static keys
// at boot (seen once: "Oops: int3" in set_next_task_fair). These tests are about the libvirt plumbing.
const ONE_VCPU = ['--guest', 'small'];
t.before(async () => {
  env = await startLibvirtEnv();
});
t.teardown(async () => {
  await env?.stop();
});

const domains = async () =>
  (await execa('virsh', ['-c', 'qemu:///system', 'list', '--all', '--name'], { reject: false })).stdout
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);

t.test('lab hosts: both endpoints answer, probed over their own connection', async (t) => {
  const r = await lab(['hosts', '--lab-config', env.labConfig, '--json']);
  t.equal(r.exitCode, 0, r.all);
  const rows = JSON.parse(r.stdout) as Array<{
    name: string;
    accel: string;
    accelReason: string;
    capabilities: { vendor: string };
  }>;
  t.same(
    rows.map((x) => x.name),
    ['lv-local', 'lv-ssh'],
  );
  for (const h of rows) {
    t.equal(h.accel, 'tcg', `${h.name}: KVM is unusable here, so TCG`);
    t.match(h.accelReason, /KVM unusable on lv-/, 'the reason comes from a test boot through that host');
    t.ok(['AMD', 'Intel', 'other'].includes(h.capabilities.vendor));
  }
});

t.test('one cell through libvirt on qemu:///system: damon-smoke passes, the domain is gone after', async (t) => {
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke', ...ONE_VCPU, '--host', 'lv-local', '--lab-config', env.labConfig], {
    reports,
  });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  t.equal(summary.guest?.host, 'lv-local');
  t.match(summary.guest?.domainXml ?? '', /<domain type='qemu'[\s\S]*hostfwd=tcp:127\.0\.0\.1:\d+-:22/);
  t.equal(summary.guest?.argv, undefined, 'no QEMU argv of ours: libvirt started it');
  t.ok(
    summary.tests.some((x) => x.name === 'hot_region_found' && x.status === 'PASS') || summary.status === 'PASS',
    JSON.stringify(summary.tests.map((x) => [x.name, x.status])),
  );
  t.equal(summary.status, 'PASS');
  t.same(await domains(), [], 'transient domain destroyed');
});

t.test('the qemu+ssh host: files copied once, console followed back, guest SSH through the host', async (t) => {
  const files = join(env.dir, 'host-ssh', 'files');
  const reports = newReportsDir();
  const r = await lab(['run', 'damon-smoke', ...ONE_VCPU, '--host', 'lv-ssh', '--lab-config', env.labConfig], {
    reports,
  });
  t.equal(r.exitCode, 0, r.all);
  const { dir, summary } = onlyReport(reports);
  t.equal(summary.guest?.host, 'lv-ssh');
  t.match(readFileSync(join(dir, 'console.log'), 'utf8'), /LAB-READY/, 'the remote console came back');
  const first = readdirSync(files).sort();
  t.ok(
    first.some((f) => /vmlinu/.test(f)) && first.some((f) => /initramfs/.test(f)),
    `kernel and initramfs on the host: ${first.join(', ')}`,
  );
  const mtimes = first.map((f) => statSync(join(files, f)).mtimeMs);

  const again = await lab(['run', 'damon-smoke', ...ONE_VCPU, '--host', 'lv-ssh', '--lab-config', env.labConfig]);
  t.equal(again.exitCode, 0, again.all);
  t.same(readdirSync(files).sort(), first, 'nothing new on the host');
  t.same(
    first.map((f) => statSync(join(files, f)).mtimeMs),
    mtimes,
    'nothing copied again',
  );
  t.same(readdirSync(join(env.dir, 'host-ssh', 'runs')), [], 'the run folders on the host are removed');
});

t.test(
  "the qemu+ssh host's folder: a planted file of the right name is replaced; a folder another user owns is refused",
  async (t) => {
    const work = join(env.dir, 'host-ssh');
    const files = join(work, 'files');
    const kernel = readdirSync(files).find((f) => /vmlinu/.test(f))!;
    const before = readFileSync(join(files, kernel));
    writeFileSync(join(files, kernel), 'not the kernel\n');
    const r = await lab(['run', 'damon-smoke', ...ONE_VCPU, '--host', 'lv-ssh', '--lab-config', env.labConfig]);
    t.equal(r.exitCode, 0, r.all);
    t.ok(readFileSync(join(files, kernel)).equals(before), 'the file was checked by its hash and copied again');
    t.equal(statSync(work).mode & 0o777, 0o700);

    await execa('chown', ['65534:65534', work]);
    try {
      const refused = await lab(['run', 'damon-smoke', ...ONE_VCPU, '--host', 'lv-ssh', '--lab-config', env.labConfig]);
      t.equal(refused.exitCode, 3, refused.all);
      t.match(
        refused.all,
        new RegExp(
          `host lv-ssh: the lab's folder ${work} is not safe: it belongs to uid 65534, not to the SSH user \\(uid 0\\)`,
        ),
      );
    } finally {
      await execa('chown', ['0:0', work]);
    }
  },
);

t.test('kill -9 of the lab while its libvirt domain runs: the next lab command destroys the domain', async (t) => {
  const child = lab([
    'run',
    'damon-smoke',
    ...ONE_VCPU,
    '--host',
    'lv-local',
    '--lab-config',
    env.labConfig,
    '--quiet',
  ]);
  let up = false;
  for (let i = 0; i < 600 && !up; i++) {
    up = (await domains()).some((d) => d.startsWith('damon-lab-'));
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(up, 'the domain came up');
  child.kill('SIGKILL');
  await child;
  t.ok(
    (await domains()).some((d) => d.startsWith('damon-lab-')),
    'libvirt keeps a transient domain its creator no longer watches',
  );
  const next = await lab(['list']);
  t.equal(next.exitCode, 0, next.all);
  t.match(next.all, /libvirt domain\(s\) qemu:\/\/\/system damon-lab-[^ ]+ destroyed/);
  t.same(await domains(), [], 'no domain left');
});

t.test('a console-only kernel on the qemu+ssh host: KUnit from the followed console', async (t) => {
  const reports = newReportsDir();
  const r = await lab(
    ['run', 'damon-kunit', '--series', 'kunit-console-7.2', '--host', 'lv-ssh', '--lab-config', env.labConfig],
    { reports },
  );
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  t.equal(summary.guest?.shutdown, 'already-exited');
  t.ok(summary.tests.filter((x) => x.path.startsWith('damon-kunit.damon.')).length >= 10);
});

t.test('a root disk through libvirt: the Debian image as a transient disk, the cached image untouched', async (t) => {
  const suite = new URL('../fixtures/suites/rootfs-kunit.yaml', import.meta.url).pathname;
  const reports = newReportsDir();
  const r = await lab(['run', suite, '--series', 'lab-fixture', '--host', 'lv-local', '--lab-config', env.labConfig], {
    reports,
  });
  t.equal(r.exitCode, 0, r.all);
  const { summary } = onlyReport(reports);
  const image = summary.image?.rootfs?.path;
  t.ok(image, 'booted the rootfs image');
  t.match(summary.guest?.domainXml ?? '', /<transient\/>/);
  t.ok(summary.tests.filter((x) => x.path.startsWith('rootfs-kunit.damon.')).length >= 10);
  t.equal(summary.status, 'PASS');
  t.ok(
    readdirSync(join(image!, '..')).every((f) => !/TRANSIENT/.test(f)),
    'the overlay went with the domain',
  );
  // A second boot from the same cached image: the guest wrote (sshd, logs), the image did not change.
  const before = statSync(image!);
  const again = await lab([
    'run',
    suite,
    '--series',
    'lab-fixture',
    '--host',
    'lv-local',
    '--lab-config',
    env.labConfig,
  ]);
  t.equal(again.exitCode, 0, again.all);
  const after = statSync(image!);
  t.same([after.mtimeMs, after.size], [before.mtimeMs, before.size], 'the cached image was never written');
});

t.test(
  "a matrix on the hosts: cells placed by requires:, one unplaceable cell SKIP with every host's reason",
  async (t) => {
    const needsIbs = new URL('../fixtures/suites/needs-kvm-ibs.yaml', import.meta.url).pathname;
    const file = join(env.dir, 'hosts-matrix.yaml');
    writeFileSync(
      file,
      `name: on-hosts\nkernels: [debian]\nguests: [default, small]\nsuites: [damon-smoke]\ninclude:\n  - { kernel: debian, guest: default, suite: ${needsIbs} }\nhosts: [lv-local, lv-ssh]\ntimeout: 300\n`,
    );
    const plan = await lab(['matrix', 'plan', file]);
    t.match(plan.stdout, /runs on libvirt hosts lv-local, lv-ssh/);
    const reports = newReportsDir();
    const r = await lab(['matrix', 'run', file, '--lab-config', env.labConfig], { reports });
    t.equal(r.exitCode, 0, r.all);
    const mdir = join(reports, readdirSync(reports).find((d) => d.includes('-matrix-'))!);
    const s = JSON.parse(readFileSync(join(mdir, 'summary.json'), 'utf8')) as MatrixSummary;
    t.same(
      s.hosts?.map((h) => [h.name, h.accel]),
      [
        ['lv-local', 'tcg'],
        ['lv-ssh', 'tcg'],
      ],
    );
    const smoke = s.cells.filter((c) => c.suite === 'damon-smoke');
    t.same(
      smoke.map((c) => c.status),
      ['PASS', 'PASS'],
    );
    t.same(new Set(smoke.map((c) => c.host)), new Set(['lv-local', 'lv-ssh']), 'spread over both hosts');
    const ibs = s.cells.find((c) => c.suite === needsIbs)!;
    t.equal(ibs.status, 'SKIP');
    t.match(ibs.reason, /no host meets requires: kvm, amd_ibs \(lv-local: needs KVM.*\| lv-ssh: needs KVM/);
    const html = readFileSync(join(mdir, 'index.html'), 'utf8');
    t.match(html, /libvirt hosts: <b>lv-local<\/b> \(tcg, /);
    t.match(html, /on lv-ssh/, 'each cell says where it ran');
    t.same(await domains(), []);
  },
);
