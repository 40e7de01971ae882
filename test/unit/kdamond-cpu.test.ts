import t from 'tap';
import { readFileSync } from 'node:fs';
import { accessesPerSecond, cpuPercent, sampleKdamondCpu, statCpuTicks } from '../../harness/damon/kdamond-cpu.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/proc/${f}`, import.meta.url), 'utf8');

t.test('statCpuTicks: utime + stime of a real kdamond (6.18 host: 0 user, 6654 system ticks)', async (t) => {
  t.equal(statCpuTicks(fixture('kdamond-stat-6.18.txt')), 6654);
});

t.test('statCpuTicks: a comm with spaces and parentheses does not shift the fields', async (t) => {
  const line = fixture('kdamond-stat-6.18.txt')
    .replace('(kdamond.0)', '(a) b (c)')
    .replace(/ 0 6654 /, ' 12 6654 ');
  t.equal(statCpuTicks(line), 12 + 6654);
  t.throws(() => statCpuTicks('81 (kdamond.0) I 2 0'), /not a \/proc\/PID\/stat line/);
});

t.test('cpuPercent: ticks over wall time, as a share of one CPU', async (t) => {
  t.equal(cpuPercent({ ticks: 100, hz: 100, uptime: 10 }, { ticks: 150, hz: 100, uptime: 20 }), 5);
  t.throws(() => cpuPercent({ ticks: 1, hz: 100, uptime: 10 }, { ticks: 2, hz: 100, uptime: 10 }), /out of order/);
});

t.test('sampleKdamondCpu: one script; no kdamond (pid -1) is an error, not 0 %', async (t) => {
  const scripts: string[] = [];
  const runner = {
    exec: async (s: string) => {
      scripts.push(s);
      return { code: 0, stdout: `${fixture('kdamond-stat-6.18.txt')}100\n1234.56 2000.00\n`, stderr: '' };
    },
  };
  t.same(await sampleKdamondCpu(runner, 81), { ticks: 6654, hz: 100, uptime: 1234.56 });
  t.match(scripts[0], /\/proc\/81\/stat/);
  await t.rejects(sampleKdamondCpu(runner, -1), /no kdamond running/);
  t.equal(scripts.length, 1);
});

t.test('sampleKdamondCpu runs where getconf is absent (a busybox guest): USER_HZ 100 on x86', async (t) => {
  const { execa } = await import('execa');
  const { mkdtempSync, symlinkSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const bin = mkdtempSync(join(tmpdir(), 'no-getconf-'));
  symlinkSync('/bin/cat', join(bin, 'cat'));
  const runner = {
    exec: async (s: string) => {
      const r = await execa('/bin/sh', ['-c', s], { reject: false, env: { PATH: bin }, extendEnv: false });
      return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
  const s = await sampleKdamondCpu(runner, process.pid);
  t.equal(s.hz, 100);
  t.ok(s.ticks >= 0 && s.uptime > 0);
});

t.test(
  'the workload’s throughput: hotcold’s pass count read in the same command, as accesses per second',
  async (t) => {
    const scripts: string[] = [];
    const runner = {
      exec: async (s: string) => {
        scripts.push(s);
        return {
          code: 0,
          stdout: `${fixture('kdamond-stat-6.18.txt')}100\n1234.56 2000.00\n               71885\n`,
          stderr: '',
        };
      },
    };
    const a = await sampleKdamondCpu(runner, 81, '/tmp/hotcold.count');
    t.same(a, { ticks: 6654, hz: 100, uptime: 1234.56, passes: 71885 });
    t.match(scripts[0], /&& cat \/tmp\/hotcold\.count$/);
    // 16 MiB of 4 KiB pages: 4096 page writes a pass; 50 passes in 2 s.
    t.equal(accessesPerSecond({ ...a, passes: 100, uptime: 10 }, { ...a, passes: 150, uptime: 12 }, 4096), 102400);
    t.throws(
      () => accessesPerSecond({ ticks: 0, hz: 100, uptime: 1 }, { ticks: 0, hz: 100, uptime: 2 }, 1),
      /no pass counts/,
    );
    await t.rejects(sampleKdamondCpu(runner, 81, 'x; reboot'), /not a count file path/);
  },
);
