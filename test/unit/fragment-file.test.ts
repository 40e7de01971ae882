import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedFragmentRoots, parseFragment, readFragmentFile, within } from '../../harness/kconfig/fragment-file.js';
import { resolveFragments } from '../../harness/kconfig/config-plan.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { SeriesSpecSchema } from '../../harness/schema/series.js';
import { InputFileError } from '../../harness/util/errors.js';
import { thrown } from '../helpers/thrown.js';

const repo = new URL('../..', import.meta.url).pathname;

t.test(
  'parseFragment: what a fragment may hold, canonical; anything else names the line and why, never its text',
  async (t) => {
    const ok = parseFragment(
      '# a comment\n\nCONFIG_A=y\r\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=-12\nCONFIG_E=0x1F\nCONFIG_F="a \\"q\\" s"\n  CONFIG_G=n  \n# lab: since 7.2\n',
    );
    t.same(ok, {
      ok: true,
      lines: [
        'CONFIG_A=y',
        'CONFIG_B=m',
        '# CONFIG_C is not set',
        'CONFIG_D=-12',
        'CONFIG_E=0x1F',
        'CONFIG_F="a \\"q\\" s"',
        'CONFIG_G=n',
      ],
    });
    for (const [text, line, why] of [
      ['CONFIG_A=y\nroot:$6$secret:19000:0:99999:7:::\n', 2, /not a CONFIG_X=value line/],
      ['CONFIG_A=y\nCONFIG_B=y\nKASAN=y\n', 3, /the name before "=" is not a CONFIG_ symbol/],
      ['CONFIG_A=yes please\n', 1, /the value of CONFIG_A is not y, m, n, a number/],
      ['CONFIG_A="unterminated\n', 1, /the value of CONFIG_A/],
      ['CONFIG_A-B=y\n', 1, /not a CONFIG_ symbol/],
      ['\0\0\0', 1, /not a CONFIG_X=value line/],
    ] as const) {
      const r = parseFragment(text);
      t.equal(r.ok, false, JSON.stringify(text));
      if (!r.ok) {
        t.equal(r.line, line);
        t.match(r.why, why);
        t.notMatch(r.why, /secret|please|KASAN/, "the line's text is not repeated");
      }
    }
  },
);

t.test('within: a path inside a root, not a sibling with the same prefix', async (t) => {
  t.ok(within('/a/b', '/a/b/c.config'));
  t.ok(within('/a/b', '/a/b'));
  t.notOk(within('/a/b', '/a/bc/x.config'));
  t.notOk(within('/a/b', '/a/x.config'));
  t.same(allowedFragmentRoots('/p', '/s', { LAB_FRAGMENT_DIRS: '/x:/y' }), ['/p', '/s', '/x', '/y']);
});

t.test(
  'readFragmentFile: outside the allowed folders, a FIFO, /dev/zero, a folder, an oversized file: exit 2 naming it, nothing read',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'frag-'));
    const roots = [dir];
    const e = thrown;
    const outside = e(() => readFragmentFile('shadow', '/etc/shadow', join(dir, 's.yaml'), roots));
    t.type(outside, InputFileError);
    t.match(
      outside?.message,
      /config fragment 'shadow' \(\/etc\/shadow\) is outside the project and the series' folder; .*LAB_FRAGMENT_DIRS/,
    );
    // A link inside the folder to a file outside it is outside.
    symlinkSync('/etc/hostname', join(dir, 'link.config'));
    t.match(
      e(() => readFragmentFile('link', join(dir, 'link.config'), 's.yaml', roots))?.message,
      /\(\/etc\/hostname\) is outside/,
    );
    await execa('mkfifo', [join(dir, 'fifo.config')]);
    t.match(
      e(() => readFragmentFile('fifo', join(dir, 'fifo.config'), 's.yaml', roots))?.message,
      /fifo\.config\) is not a regular file/,
    );
    t.match(
      e(() => readFragmentFile('zero', '/dev/zero', 's.yaml', ['/dev']))?.message,
      /\(\/dev\/zero\) is not a regular file/,
    );
    mkdirSync(join(dir, 'd.config'));
    t.match(e(() => readFragmentFile('d', join(dir, 'd.config'), 's.yaml', roots))?.message, /is not a regular file/);
    writeFileSync(join(dir, 'big.config'), Buffer.alloc(2 * 1024 * 1024, 0x41));
    t.match(
      e(() => readFragmentFile('big', join(dir, 'big.config'), 's.yaml', roots))?.message,
      /2097152 bytes, more than the 1048576/,
    );
    t.match(
      e(() => readFragmentFile('gone', join(dir, 'gone.config'), 's.yaml', roots))?.message,
      /config fragment 'gone' not found/,
    );
    t.equal(e(() => readFragmentFile('zero', '/dev/zero', 's.yaml', roots))?.outcome, 'bad-input');
  },
);

t.test(
  'resolveFragments: a bad line is exit 2 naming fragment file and line; comments change nothing the build sees',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'frag-series-'));
    writeFileSync(join(dir, 'mine.config'), '# mine\nCONFIG_DAMON_VADDR=y\n');
    const series = parseYaml('name: s\nconfigs: [damon, mine.config]\n', join(dir, 's.yaml'), SeriesSpecSchema);
    const a = resolveFragments(series, join(dir, 's.yaml'), [7, 2]);
    writeFileSync(join(dir, 'mine.config'), '# mine, reworded\n\nCONFIG_DAMON_VADDR=y\n# more words\n');
    const b = resolveFragments(series, join(dir, 's.yaml'), [7, 2]);
    t.same(
      b.map((f) => f.text),
      a.map((f) => f.text),
      'the same symbols: the same fragments',
    );
    t.equal(a.at(-1)!.text, 'CONFIG_DAMON_VADDR=y\n');
    writeFileSync(join(dir, 'mine.config'), '# mine\nCONFIG_DAMON_VADDR=y\nCONFIG_X=y\nnonsense\n');
    const err = t.throws(() => resolveFragments(series, join(dir, 's.yaml'), [7, 2])) as InputFileError;
    t.match(
      err.message,
      new RegExp(`^${join(dir, 'mine.config')}:4: config fragment 'mine.config': not a CONFIG_X=value line`),
    );
    t.equal(err.outcome, 'bad-input');
  },
);

t.test('every fragment the project ships is a fragment', async (t) => {
  const dir = join(repo, 'kernel/configs');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.config'))) {
    const r = parseFragment(readFileSync(join(dir, f), 'utf8'));
    t.ok(r.ok, `${f}${r.ok ? '' : `:${r.line}: ${r.why}`}`);
  }
});
