import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DamonSysfs } from '../../harness/damon/sysfs-driver.js';
import { missingFeature, missingGoalMetric, parseProbeOutput } from '../../harness/damon/sysfs-features.js';
import { planDamonWrites } from '../../harness/damon/sysfs-plan.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/damon-sysfs/${name}`, import.meta.url), 'utf8');

t.test('probes recorded on real 6.12, 7.2 and 7.3 guests', async (t) => {
  const p612 = parseProbeOutput(fixture('probe-debian-6.12.txt'));
  const p72 = parseProbeOutput(fixture('probe-debian-7.2.txt'));
  const p73 = parseProbeOutput(fixture('probe-debian-7.3.txt'));
  t.same(p612.goalMetrics, ['user_input', 'some_mem_psi_us']);
  t.same(p72.goalMetrics, [
    'user_input',
    'some_mem_psi_us',
    'node_mem_used_bp',
    'node_mem_free_bp',
    'node_memcg_used_bp',
    'node_memcg_free_bp',
    'active_mem_bp',
    'inactive_mem_bp',
    'node_eligible_mem_bp',
  ]);
  for (const f of [
    'probes',
    'pause',
    'goalTuner',
    'goalNid',
    'goalPath',
    'addrUnit',
    'coreFilters',
    'dests',
  ] as const) {
    t.notOk(p612.features[f], `6.12 lacks ${f}`);
    t.ok(p72.features[f], `7.2 has ${f}`);
  }
  t.notOk(p72.features.probeWeight);
  t.ok(p73.features.probeWeight, '7.3 adds probe weights');
  t.same(p72.goalTuners, ['consist', 'temporal']);
  t.same(p72.probeFilterTypes, ['anon', 'memcg']);
  t.same(p72.inKernelUsers, []);
  t.same(
    parseProbeOutput(fixture('probe-debian-7.2-damon_stat-on.txt')).inKernelUsers,
    ['damon_stat'],
    "Debian's default: damon_stat runs",
  );
  for (const p of [p612, p72, p73]) t.same(p.availOperations, ['vaddr', 'fvaddr', 'paddr']);
});

t.test('exact SKIP reasons for what a kernel lacks', async (t) => {
  const p612 = parseProbeOutput(fixture('probe-debian-6.12.txt'));
  t.equal(
    missingFeature(p612, 'probes'),
    "this kernel's DAMON sysfs has no monitoring_attrs/probes (data attributes monitoring (probes); Linux 7.2)",
  );
  t.equal(missingFeature(p612, 'targetNid'), undefined);
  t.match(
    missingGoalMetric(p612, 'node_eligible_mem_bp'),
    /no quota goal metric node_eligible_mem_bp \(Linux 7\.2\+\); it has user_input, some_mem_psi_us/,
  );
  t.match(
    missingGoalMetric(parseProbeOutput(fixture('probe-debian-7.2.txt')), 'node_sys_bp'),
    /\(the node_sys_bp RFC\)/,
  );
});

/** A fake tree laid out as a recorded one: every recorded path, files empty (the probe script writes them). */
function treeFrom(listing: string): string {
  const root = mkdtempSync(join(tmpdir(), 'damon-tree-'));
  const paths = listing
    .split('\n')
    .map((l) => l.trim().replace(/^\.\/?/, ''))
    .filter(Boolean);
  const dirs = new Set(paths.map((p) => dirname(p)));
  for (const p of paths) {
    if (dirs.has(p)) mkdirSync(join(root, p), { recursive: true });
    else {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), '');
    }
  }
  writeFileSync(join(root, 'kdamonds/0/contexts/0/avail_operations'), 'vaddr\nfvaddr\npaddr\n');
  return root;
}

for (const k of ['debian-6.12', 'debian-7.2', 'debian-7.3']) {
  t.test(
    `the probe script, run for real against a fake tree laid out as ${k}, finds that kernel's features`,
    async (t) => {
      const root = treeFrom(fixture(`tree-${k}.txt`));
      const damon = new DamonSysfs(
        {
          exec: async (s) => {
            const r = await execa('sh', ['-c', s], { reject: false });
            return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
          },
        },
        root,
      );
      const got = await damon.probe();
      t.same(got.features, parseProbeOutput(fixture(`probe-${k}.txt`)).features);
    },
  );
}

t.test("plan: 7.x knobs (probes with filters, pause, goal path and tuner) in the kernel's order", async (t) => {
  const w = planDamonWrites(
    {
      kdamonds: [
        {
          contexts: [
            {
              operations: 'paddr',
              targets: [{}],
              pause: false,
              probes: [{ filters: [{ type: 'memcg', path: '/lab', matching: true }] }],
              schemes: [
                {
                  action: 'migrate_hot',
                  quotas: {
                    goalTuner: 'temporal',
                    goals: [{ metric: 'node_memcg_used_bp', targetValue: 3000, nid: 0, path: '/lab' }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
    '/r',
  );
  const paths = w.map((x) => x.path.replace('/r/kdamonds/0/contexts/0/', ''));
  const at = (p: string) => paths.indexOf(p);
  t.ok(at('monitoring_attrs/probes/nr_probes') < at('monitoring_attrs/probes/0/filters/nr_filters'));
  t.ok(at('monitoring_attrs/probes/0/filters/nr_filters') < at('monitoring_attrs/probes/0/filters/0/type'));
  t.ok(
    at('monitoring_attrs/probes/0/filters/0/type') < at('monitoring_attrs/probes/0/filters/0/path'),
    'type before the path it qualifies',
  );
  t.ok(
    at('schemes/0/quotas/goal_tuner') >= 0 &&
      at('schemes/0/quotas/goals/0/path') > at('schemes/0/quotas/goals/nr_goals'),
  );
  t.equal(w.find((x) => x.path.endsWith('/pause'))?.value, 'N');
});
