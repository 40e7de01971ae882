import t from 'tap';
import { artifactKey, buildInputKey, type BuildInputs } from '../../harness/kbuild/cache-keys.js';

const inputs: BuildInputs = {
  base: '9349103037166355fc13460a0c66e2dc9d24f989',
  patches: [Buffer.from('patch 1'), Buffer.from('patch 2')],
  baseConfig: 'lab',
  fragments: [{ name: 'damon', text: 'CONFIG_DAMON=y\n' }],
  selftests: ['damon'],
  modules: ['mm/damon/damon_lab_fixture.ko'],
  toolchain: 'gcc (Debian 12.2.0-14) 12.2.0 | GNU Make 4.3',
};

t.test('the input key is stable and changes with every input', async (t) => {
  const k = buildInputKey(inputs);
  t.equal(
    buildInputKey({ ...inputs, patches: [Buffer.from('patch 1'), Buffer.from('patch 2')] }),
    k,
    'same bytes, same key',
  );
  const variants: Array<Partial<BuildInputs>> = [
    { base: 'ffff' },
    { patches: [Buffer.from('patch 1'), Buffer.from('patch 2 changed')] },
    { patches: [Buffer.from('patch 2'), Buffer.from('patch 1')] },
    { patches: [Buffer.from('patch 1')] },
    { baseConfig: 'defconfig' },
    { fragments: [{ name: 'damon', text: 'CONFIG_DAMON=m\n' }] },
    { selftests: [] },
    { toolchain: 'gcc 13' },
  ];
  const keys = new Set(variants.map((v) => buildInputKey({ ...inputs, ...v })));
  t.equal(keys.size, variants.length, 'every variant differs from the others');
  t.notOk(keys.has(k), 'and from the original');
});

t.test('patch boundaries matter: two patches are not their concatenation', async (t) => {
  t.not(
    buildInputKey({ ...inputs, patches: [Buffer.from('ab'), Buffer.from('c')] }),
    buildInputKey({ ...inputs, patches: [Buffer.from('a'), Buffer.from('bc')] }),
  );
});

t.test('artifact key: commit, final config, toolchain', async (t) => {
  const a = artifactKey('c1', 'CONFIG_DAMON=y\n', 'gcc 12', ['damon']);
  t.equal(a.length, 24);
  t.equal(artifactKey('c1', 'CONFIG_DAMON=y\n', 'gcc 12', ['damon']), a);
  t.not(artifactKey('c2', 'CONFIG_DAMON=y\n', 'gcc 12', ['damon']), a);
  t.not(artifactKey('c1', 'CONFIG_DAMON=m\n', 'gcc 12', ['damon']), a);
  t.not(artifactKey('c1', 'CONFIG_DAMON=y\n', 'gcc 13', ['damon']), a);
});
