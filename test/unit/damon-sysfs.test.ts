import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDamonWrites, renderWriteScript, parseRejection } from '../../harness/damon/sysfs-plan.js';
import { DamonSysfs, DamonSysfsError, parseRegionLines } from '../../harness/damon/sysfs-driver.js';
import { statEverything } from '../../harness/damon/config.js';
import { hottestRegion, overlapBytes } from '../../harness/damon/regions.js';

const config = {
  kdamonds: [
    {
      contexts: [
        {
          operations: 'vaddr',
          intervals: { sampleUs: 5000, aggrUs: 100000, updateUs: 1000000 },
          nrRegions: { min: 10, max: 1000 },
          targets: [{ pid: 42 }],
          schemes: [statEverything()],
        },
      ],
    },
  ],
};

/** A local shell standing in for the guest, so the driver's scripts run for real against a fake tree. */
const localShell = {
  exec: async (script: string) => {
    const r = await execa('sh', ['-c', script], { reject: false });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  },
};

function fakeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'damon-sysfs-'));
  const ctx = join(root, 'kdamonds/0/contexts/0');
  for (const d of [
    'monitoring_attrs/intervals',
    'monitoring_attrs/nr_regions',
    'targets/0',
    'schemes/0/access_pattern/sz',
    'schemes/0/access_pattern/nr_accesses',
    'schemes/0/access_pattern/age',
  ])
    mkdirSync(join(ctx, d), { recursive: true });
  writeFileSync(join(root, 'kdamonds/nr_kdamonds'), '1\n');
  writeFileSync(join(root, 'kdamonds/0/contexts/nr_contexts'), '1\n');
  writeFileSync(join(ctx, 'avail_operations'), 'vaddr fvaddr paddr\n');
  return root;
}

t.test('plan: counts before the directories they create, in kernel order', async (t) => {
  const w = planDamonWrites(config, '/r');
  const paths = w.map((x) => x.path);
  t.equal(paths[0], '/r/kdamonds/nr_kdamonds');
  t.ok(paths.indexOf('/r/kdamonds/0/contexts/nr_contexts') < paths.indexOf('/r/kdamonds/0/contexts/0/operations'));
  t.ok(
    paths.indexOf('/r/kdamonds/0/contexts/0/targets/nr_targets') <
      paths.indexOf('/r/kdamonds/0/contexts/0/targets/0/pid_target'),
  );
  t.same(w.find((x) => x.path.endsWith('pid_target'))?.value, '42');
  t.same(w.find((x) => x.path.endsWith('schemes/0/action'))?.value, 'stat');
});

t.test('driver writes the whole config in one script to a fake tree', async (t) => {
  const root = fakeTree();
  const calls: string[] = [];
  const runner = {
    exec: (s: string) => {
      calls.push(s);
      return localShell.exec(s);
    },
  };
  const d = new DamonSysfs(runner, root);
  t.same((await d.probe()).availOperations, ['vaddr', 'fvaddr', 'paddr']);
  calls.length = 0;
  await d.apply(config);
  t.equal(calls.length, 2, 'one script writes the configuration, one reads it back');
  const ctx = join(root, 'kdamonds/0/contexts/0');
  t.equal(readFileSync(join(ctx, 'operations'), 'utf8'), 'vaddr\n');
  t.equal(readFileSync(join(ctx, 'targets/0/pid_target'), 'utf8'), '42\n');
  t.equal(readFileSync(join(ctx, 'monitoring_attrs/intervals/aggr_us'), 'utf8'), '100000\n');
  t.equal(readFileSync(join(ctx, 'schemes/0/access_pattern/sz/max'), 'utf8'), '18446744073709551615\n');
});

t.test('a rejected write names the sysfs path and the error', async (t) => {
  const root = fakeTree();
  const ops = join(root, 'kdamonds/0/contexts/0/operations');
  mkdirSync(join(root, 'kdamonds/0/contexts/0/operations.d'), { recursive: true });
  // A directory where a file is expected makes the shell's write fail, as a kernel -EINVAL would.
  const bad = join(root, 'kdamonds/0/contexts/0/operations.d');
  const script = renderWriteScript([{ path: bad, value: 'paddr_ibs' }]);
  const r = await localShell.exec(script);
  const rej = parseRejection(r.stdout);
  t.equal(rej?.path, bad);
  t.match(rej?.error, /directory/i);
  const d = new DamonSysfs(
    { exec: async () => ({ code: 1, stdout: `LAB-SYSFS-REJECTED ${ops}: Invalid argument\n`, stderr: '' }) },
    root,
  );
  const err = await d.apply(config).catch((e: unknown) => e);
  t.type(err, DamonSysfsError);
  t.equal((err as DamonSysfsError).path, ops);
  t.match((err as Error).message, /Invalid argument/);
});

t.test('regions: parse, hottest by share, overlap', async (t) => {
  const r = parseRegionLines('4096 8192 20 3\n0 4096 1 9\n8192 1056768 19 2\n');
  t.equal(r[0]!.start, 0n, 'sorted by address');
  const best = hottestRegion(r, 0.8);
  t.equal(best?.start, 8192n, 'the big hot region beats a tiny hotter one');
  t.equal(hottestRegion(r, 1)?.start, 4096n);
  t.equal(overlapBytes({ start: 0n, end: 100n }, { start: 50n, end: 200n }), 50n);
  t.equal(overlapBytes({ start: 0n, end: 10n }, { start: 10n, end: 20n }), 0n);
  t.equal(hottestRegion(parseRegionLines('0 10 0 1\n'), 0.8), undefined);
});

t.test('read-back: a value the kernel holds differently is an error naming the file', async (t) => {
  const root = fakeTree();
  let n = 0;
  // The second script is the read-back: pretend the kernel clamped aggr_us.
  const runner = {
    exec: async (s: string) =>
      ++n === 2
        ? { code: 0, stdout: (await localShell.exec(s)).stdout.replace(/(aggr_us\t)100000/, '$15000'), stderr: '' }
        : localShell.exec(s),
  };
  const err = await new DamonSysfs(runner, root).apply(config).catch((e: unknown) => e);
  t.type(err, DamonSysfsError);
  t.match((err as DamonSysfsError).path, /monitoring_attrs\/intervals\/aggr_us$/);
  t.match((err as Error).message, /wrote '100000' but it reads back '5000'/);
});

t.test('plan: quotas with goals, weights, watermarks, filters, target_nid', async (t) => {
  const w = planDamonWrites(
    {
      kdamonds: [
        {
          contexts: [
            {
              operations: 'paddr',
              targets: [{}],
              schemes: [
                {
                  action: 'migrate_hot',
                  targetNid: 0,
                  applyIntervalUs: 100000,
                  quotas: {
                    ms: 10,
                    bytes: 1 << 20,
                    resetIntervalMs: 1000,
                    weights: { szPermil: 0, nrAccessesPermil: 1000, agePermil: 0 },
                    goals: [{ metric: 'user_input', targetValue: 7000, currentValue: 5000 }],
                  },
                  watermarks: { metric: 'none', intervalUs: 0, high: 0, mid: 0, low: 0 },
                  filters: [{ type: 'anon', matching: true }],
                },
              ],
            },
          ],
        },
      ],
    },
    '/r',
  );
  const get = (suffix: string) => w.find((x) => x.path.endsWith(suffix))?.value;
  t.equal(get('schemes/0/target_nid'), '0');
  t.equal(get('quotas/goals/nr_goals'), '1');
  t.equal(get('quotas/goals/0/target_metric'), 'user_input');
  t.equal(get('quotas/goals/0/current_value'), '5000');
  t.equal(get('quotas/weights/nr_accesses_permil'), '1000');
  t.equal(get('watermarks/metric'), 'none');
  t.equal(get('filters/0/matching'), 'Y');
  const paths = w.map((x) => x.path);
  t.ok(
    paths.indexOf('/r/kdamonds/0/contexts/0/schemes/0/quotas/goals/nr_goals') <
      paths.indexOf('/r/kdamonds/0/contexts/0/schemes/0/quotas/goals/0/target_metric'),
  );
});

t.test('start, stop and snapshot are one round trip each, against a fake tree', async (t) => {
  const root = fakeTree();
  const kd = join(root, 'kdamonds/0');
  const tried = join(kd, 'contexts/0/schemes/0/tried_regions');
  // The fake kernel: a write to state is kept as written; the pid is what a running kdamond shows.
  writeFileSync(join(kd, 'state'), 'off\n');
  writeFileSync(join(kd, 'pid'), '4242\n');
  const calls: string[] = [];
  const runner = {
    exec: (s: string) => {
      calls.push(s);
      return localShell.exec(s);
    },
  };
  const d = new DamonSysfs(runner, root);
  t.same(await d.start(0), { state: 'on', pid: 4242 });
  mkdirSync(join(tried, '0'), { recursive: true });
  for (const [f, v] of [
    ['start', '4096'],
    ['end', '8192'],
    ['nr_accesses', '7'],
    ['age', '3'],
  ])
    writeFileSync(join(tried, '0', f!), `${v}\n`);
  t.same(await d.snapshot(0, 0, 0), [{ start: 4096n, end: 8192n, nrAccesses: 7, age: 3 }]);
  t.equal(
    readFileSync(join(kd, 'state'), 'utf8'),
    'update_schemes_tried_regions\n',
    'the command was written before the regions were read',
  );
  writeFileSync(join(kd, 'pid'), '-1\n');
  t.equal(await d.stop(0), 'off');
  t.equal(calls.length, 3);
});

t.test('parseStatus: state and pid, or an error showing what came back', async (t) => {
  const { parseStatus } = await import('../../harness/damon/sysfs-driver.js');
  t.same(parseStatus('LAB-STATUS on 81\n'), { state: 'on', pid: 81 });
  t.same(parseStatus('noise\nLAB-STATUS off -1\n'), { state: 'off', pid: -1 });
  t.throws(() => parseStatus('cat: state: No such file'), /did not read back: cat: state/);
});
