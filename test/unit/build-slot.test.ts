import t from 'tap';
import { buildSlot } from '../../harness/kbuild/build-kernel.js';
import { loadSeries } from '../../harness/suites/suite-catalog.js';

const slotOf = (name: string) => {
  const { spec, file } = loadSeries(name);
  return buildSlot(spec, file);
};

t.test('build slots: series with the same base config and fragment files build in one tree', async (t) => {
  const fixture = slotOf('lab-fixture');
  t.match(fixture, /^_lab-[0-9a-f]{10}$/, 'a name no series can have (series names start with a letter or digit)');
  // Inline config: values differ (the test modules, the ops module): the same slot all the same.
  t.equal(slotOf('lab-fixture-configs'), fixture);
  t.equal(slotOf('lab-fixture-regress'), fixture);
  t.not(slotOf('lab-fixture-broken'), fixture, 'fewer fragment files (damon only): another slot');
});

t.test('build slots: KASAN and the console-only base get their own', async (t) => {
  const fixture = slotOf('lab-fixture');
  const others = ['lab-fixture-debug', 'kunit-console'].map(slotOf);
  t.equal(new Set([fixture, ...others]).size, 3, others.join(' '));
  t.match(slotOf('kunit-console'), /^_lab-console-/);
  // A slot is a name within a source repository (worktrees/<repo>/<slot>): 6.12's and 7.2's trees never share one.
  t.equal(slotOf('kunit-console-7.2'), slotOf('kunit-console'));
  // The same fragment names read from another folder are other files: another slot.
  const here = buildSlot({ base_config: 'lab', configs: ['damon', 'extra.config'] }, '/a/series.yaml');
  const there = buildSlot({ base_config: 'lab', configs: ['damon', 'extra.config'] }, '/b/series.yaml');
  t.not(here, there);
  t.equal(buildSlot({ base_config: 'lab', configs: ['damon', 'extra.config'] }, '/a/other.yaml'), here);
});
