// Faults the lab must survive without losing anything: a build killed mid-make, two runs sharing the
// cache, a damaged image in the cache, a guest flooding its console, a full disk under the cache.
import t from 'tap';
import { execa } from 'execa';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
  closeSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labBin, newReportsDir, onlyReport, repo } from './lab-cli.js';
import { cacheRoot } from '../../harness/util/paths.js';

const cache = cacheRoot();
const waitFor = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
};

t.test('two lab runs at once share the cache: both pass', async (t) => {
  const [a, b] = [newReportsDir(), newReportsDir()];
  const [ra, rb] = await Promise.all([
    lab(['run', 'damon-smoke'], { reports: a }),
    lab(['run', 'damon-smoke'], { reports: b }),
  ]);
  t.equal(ra.exitCode, 0, ra.all);
  t.equal(rb.exitCode, 0, rb.all);
  t.equal(onlyReport(a).summary.status, 'PASS');
  t.equal(onlyReport(b).summary.status, 'PASS');
});

t.test('a damaged initramfs in the cache is noticed by its hash and built again; the run passes', async (t) => {
  const first = newReportsDir();
  t.equal((await lab(['run', 'damon-smoke'], { reports: first })).exitCode, 0);
  const image = onlyReport(first).summary.image!.path;
  // Same size, other bytes: only the hash can tell.
  const size = statSync(image).size;
  const fd = openSync(image, 'r+');
  writeSync(fd, Buffer.from('DAMAGED!'), 0, 8, Math.floor(size / 2));
  closeSync(fd);
  const second = newReportsDir();
  const r = await lab(['run', 'damon-smoke'], { reports: second });
  t.equal(r.exitCode, 0, r.all);
  const s = onlyReport(second).summary;
  t.match(s.stages.find((x) => x.stage === 'image')?.note, /built again: the cached copy was damaged/);
  t.equal(s.image!.path, image);
});

// A serial console under TCG takes a few KB/s (each byte an emulated UART write), so the flood here is
// small and the limit with it; the bounds on lines, findings and copies are unit-tested at megabytes.
t.test(
  "a guest flooding its console at boot: stopped past the limit with a flood finding, the boot failure names it, the lab's memory bounded",
  async (t) => {
    const reports = newReportsDir();
    const child = execa('node', [labBin, 'run', join(repo, 'test/fixtures/suites/console-flood.yaml')], {
      reject: false,
      all: true,
      cwd: repo,
      env: { LAB_REPORTS: reports, LAB_CONSOLE_LIMIT_MIB: '0.1' },
    });
    let hwm = 0;
    const timer = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        /* gone */
      }
    }, 200);
    const r = await child;
    clearInterval(timer);
    // A guest that never comes up is the run's error (exit 3), as for a panic at boot; the reason names the flood.
    t.equal(r.exitCode, 3, r.all);
    t.match(
      r.all,
      /the guest flooded its console during boot: console flood: more than 0\.10 MiB of console output; the lab stopped the guest/,
    );
    const { summary } = onlyReport(reports);
    const flood = summary.console.findings.find((f) => f.kind === 'flood');
    t.ok(flood, `a flood finding: ${summary.console.findings.map((f) => f.kind).join(', ')}`);
    t.ok((summary.console.bytes ?? 0) > 0.1 * 1024 * 1024, `console ${summary.console.bytes} bytes`);
    t.ok(hwm > 0 && hwm < 400 * 1024, `the lab's peak memory ${Math.round(hwm / 1024)} MiB`);
  },
);

t.test(
  'kill -9 of a build mid-make: make and its compilers die with it; the next build completes and publishes a whole artifact',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-killbuild-'));
    const series = join(dir, 'killed.yaml');
    // The fixture series' build directory, with a version string of its own: make has real work to do.
    const text = readFileSync(join(repo, 'kernel/series/lab-fixture.yaml'), 'utf8')
      .replace(/^name: lab-fixture$/m, 'name: lab-fixture-twice')
      .replace('dir: ../patches/lab-fixture', `dir: ${join(repo, 'kernel/patches/lab-fixture')}`)
      .replace(/^config:$/m, `config:\n  CONFIG_LOCALVERSION: "-killed${Date.now() % 100000}"`);
    writeFileSync(series, text);
    const child = execa('node', [labBin, 'build', '--series', series], { reject: false, all: true, cwd: repo });
    let out = '';
    child.all?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    t.ok(await waitFor(() => /building in /.test(out), 600_000), 'make started');
    await new Promise((r) => setTimeout(r, 4000));
    // make runs in a process group of its own, led by the lab's direct child (other tests' makes are not ours).
    const groups = (await execa('pgrep', ['-P', String(child.pid)], { reject: false })).stdout
      .split('\n')
      .filter(Boolean)
      .map(Number);
    const inGroups = async () =>
      (
        await Promise.all(
          groups.map(async (g) =>
            (await execa('pgrep', ['-g', String(g)], { reject: false })).stdout.split('\n').filter(Boolean),
          ),
        )
      ).flat();
    t.ok((await inGroups()).length > 1, `make and its compilers run (groups ${groups.join(', ')})`);
    child.kill('SIGKILL');
    await child;
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = await inGroups();
      if (!left.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.same(left, [], 'no make or compiler of the killed build left running');
    const again = await execa('node', [labBin, 'build', '--series', series], { reject: false, all: true, cwd: repo });
    t.equal(again.exitCode, 0, again.all);
    const art = /^artifact: (\S+)$/m.exec(again.all)?.[1];
    t.ok(
      art && existsSync(join(art, 'meta.json')) && readdirSync(join(art, 'boot')).some((f) => f.startsWith('vmlinuz-')),
      `a whole artifact at ${art}`,
    );
    const staging = readdirSync(join(cache, 'artifacts')).filter((f) => /\.tmp-\d+$/.test(f) || f.startsWith('.'));
    t.same(staging, [], 'no staging entry left in the artifact cache');
  },
);

t.test('a full disk under the cache: a clear error naming it, exit 3, nothing half-published', async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'lab-fulldisk-'));
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]);
  try {
    const r = await execa('node', [labBin, 'run', 'damon-smoke', '--kernel', 'debian-7.2'], {
      reject: false,
      all: true,
      cwd: repo,
      env: { LAB_CACHE: mnt, LAB_REPORTS: newReportsDir() },
    });
    t.equal(r.exitCode, 3, r.all);
    t.match(r.all, /No space left on device|ENOSPC|not enough space/i);
    const list = await execa('node', [labBin, 'list'], {
      reject: false,
      all: true,
      cwd: repo,
      env: { LAB_CACHE: mnt },
    });
    t.match(list.all, /kernel debian-7\.2\s+not fetched yet/, 'the half-fetched kernel does not count as fetched');
  } finally {
    await execa('umount', [mnt], { reject: false });
  }
});
