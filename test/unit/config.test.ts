import t from 'tap';
import {
  droppedSymbols,
  kconfigDepends,
  requestedSymbols,
  resolveFragments,
} from '../../harness/kconfig/config-plan.js';
import { parseKernelConfig } from '../../harness/kernel/kconfig.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { ConfigDroppedError } from '../../harness/kconfig/make-config.js';

t.test('requested symbols: last fragment wins, "is not set" means n', async (t) => {
  const want = requestedSymbols([
    { name: 'a', path: 'a', text: 'CONFIG_KASAN=y\nCONFIG_X="s"\n' },
    { name: 'b', path: 'b', text: '# CONFIG_KASAN is not set\n' },
  ]);
  t.same(want.get('CONFIG_KASAN'), { value: 'n', from: 'b' });
  t.same(want.get('CONFIG_X'), { value: 's', from: 'a' });
});

t.test('dropped symbols are listed with where they came from', async (t) => {
  const want = requestedSymbols([
    { name: 'debug', path: 'd', text: 'CONFIG_KASAN=y\nCONFIG_DEBUG_LIST=y\n# CONFIG_FOO is not set\n' },
  ]);
  const final = parseKernelConfig('CONFIG_DEBUG_LIST=y\n# CONFIG_KASAN is not set\n');
  const d = droppedSymbols(want, final);
  t.same(d, [{ symbol: 'CONFIG_KASAN', wanted: 'y', got: 'n', from: 'debug' }]);
  d[0]!.dependsOn = ['HAVE_ARCH_KASAN && CC_HAS_KASAN_GENERIC'];
  t.match(
    new ConfigDroppedError(d, '/b/.config').message,
    /CONFIG_KASAN=y \(from debug\) is not set; depends on HAVE_ARCH_KASAN && CC_HAS_KASAN_GENERIC/,
  );
  t.equal(new ConfigDroppedError(d, '/b/.config').outcome, 'cannot-configure');
});

t.test('Kconfig depends-on lines of one entry', async (t) => {
  const k =
    'config DAMON_SYSFS\n\tbool "DAMON sysfs interface"\n\tdepends on DAMON && SYSFS\n\thelp\n\t  text\n\nconfig DAMON_DBGFS\n\tdepends on DAMON && DEBUG_FS\n';
  t.same(kconfigDepends(k, 'DAMON_SYSFS'), ['DAMON && SYSFS']);
  t.same(kconfigDepends(k, 'DAMON_DBGFS'), ['DAMON && DEBUG_FS']);
  t.equal(kconfigDepends(k, 'NOPE'), undefined);
});

t.test('fragments: lab base first, named fragments, inline symbols last', async (t) => {
  const s = SeriesSpecSchema.parse({
    name: 'x',
    configs: ['damon', 'kunit'],
    config: { CONFIG_DAMON_LAB_FIXTURE: 'm', CONFIG_KASAN: 'n' },
  });
  const f = resolveFragments(s, '/repo/kernel/series/x.yaml');
  t.same(
    f.map((x) => x.name),
    ['lab-base', 'damon', 'kunit', 'series.config'],
  );
  t.match(f[3]!.text, /CONFIG_DAMON_LAB_FIXTURE=m\n# CONFIG_KASAN is not set\n/);
  t.throws(
    () => resolveFragments(SeriesSpecSchema.parse({ name: 'x', configs: ['nonesuch'] }), '/r/s.yaml'),
    /config fragment 'nonesuch' not found/,
  );
});

t.test('inline config: strings are quoted for .config, tristates and numbers are not', async (t) => {
  const { kconfigValue } = await import('../../harness/kconfig/config-plan.js');
  t.same(['y', 'm', 'n', '16', '0x1000', '"-lab"', '-bench1', 'a "b"'].map(kconfigValue), [
    'y',
    'm',
    'n',
    '16',
    '0x1000',
    '"-lab"',
    '"-bench1"',
    '"a \\"b\\""',
  ]);
});

t.test(
  'fragments: the console-only base is its own first fragment, and has no network, modules or init needs',
  async (t) => {
    const f = resolveFragments(
      SeriesSpecSchema.parse({ name: 'x', base_config: 'lab-console', configs: ['damon', 'kunit'] }),
      '/r/s.yaml',
    );
    t.same(
      f.map((x) => x.name),
      ['lab-console', 'damon', 'kunit'],
    );
    const want = requestedSymbols(f);
    for (const s of ['CONFIG_NET', 'CONFIG_MODULES', 'CONFIG_PCI', 'CONFIG_ACPI', 'CONFIG_BLOCK'])
      t.equal(want.get(s)?.value, 'n', `${s} off`);
    for (const s of ['CONFIG_SERIAL_8250_CONSOLE', 'CONFIG_PVH', 'CONFIG_KUNIT', 'CONFIG_DAMON_KUNIT_TEST'])
      t.equal(want.get(s)?.value, 'y', `${s} on`);
    t.same(
      resolveFragments(
        SeriesSpecSchema.parse({ name: 'x', base_config: 'defconfig', configs: ['damon'] }),
        '/r/s.yaml',
      ).map((x) => x.name),
      ['damon'],
      'defconfig adds no lab base',
    );
  },
);

t.test(
  'fragments: "# lab: since X.Y" blocks apply from that release on, so older trees keep a strict dropped-symbol check',
  async (t) => {
    const { fragmentForVersion, makefileVersion } = await import('../../harness/kconfig/config-plan.js');
    const text =
      'CONFIG_KUNIT=y\n\n# lab: since 6.14\n# a comment inside the block\nCONFIG_KUNIT_AUTORUN_ENABLED=y\n\nCONFIG_X=y\n';
    t.equal(fragmentForVersion(text, [6, 12]), 'CONFIG_KUNIT=y\n\n\nCONFIG_X=y\n');
    t.equal(fragmentForVersion(text, [7, 2]), text);
    t.equal(fragmentForVersion(text, [6, 14]), text);
    t.equal(fragmentForVersion(text), text, 'no version: every block');
    t.same(makefileVersion('# SPDX\nVERSION = 7\nPATCHLEVEL = 2\nSUBLEVEL = 13\n'), [7, 2]);
    t.equal(makefileVersion('nothing'), undefined);
  },
);
