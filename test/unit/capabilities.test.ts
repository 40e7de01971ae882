import t from 'tap';
import { readCapabilities, unmetReason, type RequirementContext } from '../../harness/local-host/capabilities.js';

const intel = readCapabilities(
  'vendor_id\t: GenuineIntel\nflags\t\t: fpu vme arch_perfmon pebs\n',
  ['cpu', 'software'],
  { enable_mediated_pmu: 'N', enable_pmu: 'Y' },
  'kvm_intel',
);
const amd = readCapabilities(
  'vendor_id\t: AuthenticAMD\nflags\t\t: fpu ibs perfctr_core\n',
  ['cpu', 'ibs_op', 'ibs_fetch'],
  { enable_mediated_pmu: 'Y', vibs: 'Y', vnmi: 'Y', enable_pmu: 'Y' },
  'kvm_amd',
);

t.test('host facts from /proc/cpuinfo and module parameters', async (t) => {
  t.equal(intel.vendor, 'Intel');
  t.same(intel.flags, { ibs: false, archPerfmon: true, perfctrCore: false });
  t.same(intel.kvm, { module: 'kvm_intel', mediatedPmu: false, enablePmu: true });
  t.equal(amd.vendor, 'AMD');
  t.same(amd.kvm, { module: 'kvm_amd', mediatedPmu: true, vnmi: true, vibs: true, enablePmu: true });
});

const ctx = (over: Partial<RequirementContext>): RequirementContext => ({
  accel: 'tcg',
  accelReason: 'KVM unusable: a test boot died with "KVM internal error. Suberror: 1"',
  host: intel,
  guestPmu: 'none',
  guestNumaNodes: 1,
  ...over,
});

t.test('requirements: exact reasons, met where they are', async (t) => {
  t.match(
    unmetReason('kvm', ctx({})),
    /needs KVM; this run uses TCG \(KVM unusable: a test boot died with "KVM internal error/,
  );
  t.equal(unmetReason('kvm', ctx({ accel: 'kvm' })), undefined);
  t.match(unmetReason('vpmu', ctx({ accel: 'kvm' })), /guest spec says pmu: none/);
  t.equal(unmetReason('vpmu', ctx({ accel: 'kvm', guestPmu: 'legacy' })), undefined);
  t.match(
    unmetReason('mediated_vpmu', ctx({ accel: 'kvm', guestPmu: 'mediated' })),
    /kvm_intel\.enable_mediated_pmu=Y .*it is N/,
  );
  t.equal(unmetReason('mediated_vpmu', ctx({ accel: 'kvm', guestPmu: 'mediated', host: amd })), undefined);
  t.match(unmetReason('amd_ibs', ctx({})), /host CPU is Intel/);
  t.equal(unmetReason('amd_ibs', ctx({ host: amd })), undefined);
  t.match(unmetReason('guest_ibs', ctx({ host: amd })), /only KVM can pass through; this run uses TCG/);
  t.equal(unmetReason('guest_ibs', ctx({ host: amd, accel: 'kvm' })), undefined);
  t.match(unmetReason('numa', ctx({})), /at least 2 NUMA nodes; this guest has 1/);
});
