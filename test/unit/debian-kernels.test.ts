import t from 'tap';
import {
  DEBIAN_KERNELS,
  DEFAULT_DEBIAN_KERNEL,
  debianKernelSpec,
  kernelPackages,
  pickNewestKernelPackage,
  requireDebianKernel,
} from '../../harness/kernel/debian-kernel.js';
import { labAptPlan, labSourcesList, mirrorIn } from '../../harness/source/lab-apt.js';
import { enabledUsers, inKernelDamonUsers, keepOffCmdline } from '../../harness/damon/in-kernel-users.js';
import { parseKernelConfig } from '../../harness/kernel/kconfig.js';
import { planMatrix } from '../../harness/matrix/plan.js';
import { MatrixSpecSchema } from '../../harness/schema/matrix.js';

t.test('Debian kernel ids: the default is 7.2; debian alone means it; others are refused with the list', async (t) => {
  t.equal(DEFAULT_DEBIAN_KERNEL, 'debian-7.2');
  t.equal(debianKernelSpec('debian')?.id, 'debian-7.2');
  t.same(
    DEBIAN_KERNELS.map((k) => [k.id, k.suite]),
    [
      ['debian-6.12', 'bookworm'],
      ['debian-7.2', 'sid'],
      ['debian-7.3', 'experimental'],
    ],
  );
  t.equal(debianKernelSpec('debian-5.10'), undefined);
  t.throws(() => requireDebianKernel('debian-5.10'), /unknown Debian kernel 'debian-5.10'.*/);
});

t.test('the newest package of each kernel, from real apt-cache search lines', async (t) => {
  const lines = [
    'linux-binary-7.2.13+deb14-cloud-amd64 - Linux 7.2.13 for x86-64 cloud (kernel image)',
    'linux-binary-7.2.9+deb14-cloud-amd64 - Linux 7.2.9 for x86-64 cloud (kernel image)',
    'linux-binary-7.2.13+deb14-amd64 - Linux 7.2.13 for 64-bit PCs (kernel image)',
    'linux-modules-7.2.13+deb14-cloud-amd64 - Linux 7.2.13 for x86-64 cloud (modules)',
    'linux-binary-7.3-cloud-amd64 - Linux 7.3-rc7 for x86-64 cloud (kernel image)',
  ].join('\n');
  t.equal(pickNewestKernelPackage(lines, requireDebianKernel('debian-7.2')), 'linux-binary-7.2.13+deb14-cloud-amd64');
  t.equal(pickNewestKernelPackage(lines, requireDebianKernel('debian-7.3')), 'linux-binary-7.3-cloud-amd64');
  t.equal(pickNewestKernelPackage(lines, requireDebianKernel('debian-6.12')), undefined);
  // By patch level, not by string order; other flavours (64-bit PCs) are not the cloud kernel.
  const bookworm = ['6.12.9', '6.12.117', '6.12.43']
    .map((v) => `linux-image-${v}+deb12-cloud-amd64-unsigned - Linux 6.12 for x86-64 cloud`)
    .concat('linux-image-6.12.200+deb12-amd64-unsigned - Linux 6.12 for 64-bit PCs')
    .join('\n');
  t.equal(pickNewestKernelPackage(bookworm), 'linux-image-6.12.117+deb12-cloud-amd64-unsigned');
  t.equal(pickNewestKernelPackage(''), undefined);
});

t.test('7.x kernels are split into binary, modules and base packages', async (t) => {
  t.same(kernelPackages(requireDebianKernel('debian-7.2'), 'linux-binary-7.2.13+deb14-cloud-amd64'), [
    'linux-binary-7.2.13+deb14-cloud-amd64',
    'linux-modules-7.2.13+deb14-cloud-amd64',
    'linux-base-7.2.13+deb14-cloud-amd64',
  ]);
  t.same(kernelPackages(requireDebianKernel('debian-6.12'), 'linux-image-6.12.118+deb12-cloud-amd64-unsigned'), [
    'linux-image-6.12.118+deb12-cloud-amd64-unsigned',
  ]);
});

t.test("the lab's apt: its own sources, lists, archives and status; the host's mirror URL only", async (t) => {
  t.equal(
    mirrorIn(
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\n',
    ),
    'http://deb.debian.org/debian',
  );
  t.equal(mirrorIn('deb [arch=amd64] http://mirror.example/debian/ bookworm main\n'), 'http://mirror.example/debian');
  t.equal(mirrorIn('deb http://security.debian.org/debian-security bookworm-security main\n'), undefined);
  t.equal(
    mirrorIn('deb http://security.debian.org/debian-security bookworm-security main\n', 'security'),
    'http://security.debian.org/debian-security',
  );
  const list = labSourcesList({ main: 'http://m/debian', security: 'http://m/debian-security' });
  t.match(
    list,
    / http:\/\/m\/debian-security bookworm-security main$/m,
    "bookworm's 6.12 kernel comes through bookworm-security",
  );
  t.match(list, /^deb \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] http:\/\/m\/debian sid main$/m);
  t.match(list, / experimental main$/m);
  const plan = labAptPlan('/c');
  for (const key of [
    'Dir::Etc::SourceList=/c/apt/sources.list',
    'Dir::Etc::SourceParts=/c/apt/sources.list.d',
    'Dir::State::Lists=/c/apt/lists',
    'Dir::State::Status=/c/apt/status',
    'Dir::Cache::Archives=/c/apt/archives',
    'Dir::Etc::PreferencesParts=/c/apt/preferences.d',
  ]) {
    t.ok(plan.options.includes(key), key);
  }
  t.notOk(
    plan.options.some((o) => o.includes('/etc/apt')),
    "nothing of the host's apt state",
  );
});

t.test('in-kernel DAMON users from the config; damon_stat kept off where it starts at boot', async (t) => {
  const debian72 = parseKernelConfig(
    'CONFIG_DAMON=y\nCONFIG_DAMON_RECLAIM=y\nCONFIG_DAMON_LRU_SORT=y\nCONFIG_DAMON_STAT=y\nCONFIG_DAMON_STAT_ENABLED_DEFAULT=y\n',
  );
  const users = inKernelDamonUsers(debian72);
  t.same(
    users.map((u) => [u.name, u.enabledAtBoot]),
    [
      ['damon_stat', true],
      ['damon_reclaim', false],
      ['damon_lru_sort', false],
    ],
  );
  t.same(keepOffCmdline(users), ['damon_stat.enabled=N']);
  t.same(
    keepOffCmdline(inKernelDamonUsers(parseKernelConfig('CONFIG_DAMON=y\nCONFIG_DAMON_RECLAIM=y\n'))),
    [],
    '6.12: nothing starts at boot',
  );
  t.same(enabledUsers('damon_stat Y\ndamon_reclaim N\n'), ['damon_stat']);
});

t.test('a matrix names Debian kernels side by side', async (t) => {
  const spec = MatrixSpecSchema.parse({
    name: 'k',
    kernels: ['debian-6.12', 'debian-7.2'],
    guests: ['default'],
    suites: ['damon-smoke'],
  });
  const plan = planMatrix(spec);
  t.same(
    plan.kernels.map((k) => [k.id, k.debian]),
    [
      ['debian-6.12', 'debian-6.12'],
      ['debian-7.2', 'debian-7.2'],
    ],
  );
  t.same(
    plan.cells.map((c) => c.id),
    ['debian-6.12/default/damon-smoke', 'debian-7.2/default/damon-smoke'],
  );
  t.throws(() => MatrixSpecSchema.parse({ name: 'k', kernels: ['fedora'], guests: ['default'], suites: ['x'] }));
});
