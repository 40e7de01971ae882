import t from 'tap';
import yaml from 'js-yaml';
import { join } from 'node:path';
import { formatPlan, kernelId, planMatrix, poolLimit } from '../../harness/matrix/plan.js';
import { pool } from '../../harness/matrix/run-matrix.js';
import { githubWorkflow, gitlabPipeline, jobId } from '../../harness/matrix/ci-export.js';
import { MatrixSpecSchema } from '../../harness/schema/matrix.js';
import { parseYaml } from '../../harness/schema/load-yaml.js';
import { InputFileError } from '../../harness/util/errors.js';

const repo = new URL('../..', import.meta.url).pathname;
const spec = (doc: unknown) => MatrixSpecSchema.parse(doc);

t.test('planMatrix: product, excludes, includes, overrides, shared kernels', async (t) => {
  const plan = planMatrix(
    spec({
      name: 'm',
      kernels: ['debian', { series: 'lab-fixture' }, { series: 'lab-fixture', configs: ['debug'] }],
      guests: ['default', 'small'],
      suites: ['damon-smoke', 'damon-kunit'],
      exclude: [{ kernel: 'debian', suite: 'damon-kunit' }, { kernel: 'lab-fixture+debug' }],
      include: [{ kernel: 'lab-fixture', guest: 'numa-cxl', suite: 'damon-tiering' }],
      timeout: 300,
      overrides: [
        { guest: 'small', timeout: 600 },
        { guest: 'small', suite: 'damon-kunit', retries: 3 },
      ],
    }),
  );
  t.same(
    plan.cells.map((c) => c.id),
    [
      'debian/default/damon-smoke',
      'debian/small/damon-smoke',
      'lab-fixture/default/damon-smoke',
      'lab-fixture/default/damon-kunit',
      'lab-fixture/small/damon-smoke',
      'lab-fixture/small/damon-kunit',
      'lab-fixture/numa-cxl/damon-tiering',
    ],
  );
  t.same(
    plan.kernels.map((k) => k.id),
    ['debian', 'lab-fixture'],
    'a kernel no cell uses is not built',
  );
  const small = plan.cells.find((c) => c.id === 'lab-fixture/small/damon-kunit')!;
  t.same([small.timeout, small.retries], [600, 3], 'overrides apply in order');
  t.same([plan.cells[0]!.timeout, plan.cells[0]!.retries], [300, 1], 'defaults');
  t.match(formatPlan('m', plan), /lab-fixture\s+series lab-fixture; shared by 5 cell\(s\)/);
  t.equal(kernelId({ series: 'x', configs: ['debug', 'ibs'] }), 'x+debug+ibs');
});

t.test('planMatrix: rules that name nothing are errors', async (t) => {
  const base = { name: 'm', kernels: ['debian'], guests: ['default'], suites: ['damon-smoke'] };
  t.throws(
    () => planMatrix(spec({ ...base, exclude: [{ guest: 'defualt' }] })),
    /exclude\[0\]\.guest: 'defualt' is not one of the matrix's guests \(default\)/,
  );
  t.throws(
    () => planMatrix(spec({ ...base, include: [{ kernel: 'nope', guest: 'default', suite: 'damon-smoke' }] })),
    /include\[0\]\.kernel: 'nope'/,
  );
  t.throws(() => planMatrix(spec({ ...base, kernels: ['debian', 'debian'] })), /'debian' is listed twice/);
});

t.test('matrix YAML errors name the file, line and key', async (t) => {
  const err = (() => {
    try {
      parseYaml(
        'name: m\nkernels: [debian]\nguests: [default]\nsuites: [damon-smoke]\ntimout: 5\n',
        'bad.yaml',
        MatrixSpecSchema,
      );
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  t.ok(err instanceof InputFileError);
  t.match((err as Error).message, /^bad\.yaml:5: unknown key 'timout'/);
});

t.test('poolLimit: cores and memory bound the guests at once', async (t) => {
  t.equal(poolLimit({ cores: 2, freeMiB: 20000, guestMiB: 1024 }), 2);
  t.equal(poolLimit({ cores: 8, freeMiB: 4096, guestMiB: 1024 }), 2, 'memory: (4096 - 1024 reserve) / (1024 + 256)');
  t.equal(poolLimit({ cores: 2, freeMiB: 500, guestMiB: 1024 }), 1, 'never below one');
  t.equal(poolLimit({ cores: 2, freeMiB: 20000, guestMiB: 1024, override: 3 }), 3);
});

t.test('pool: at most `limit` at once, every item once, a failing-free lane keeps going', async (t) => {
  let now = 0;
  let peak = 0;
  const done: number[] = [];
  await pool([1, 2, 3, 4, 5], 2, async (x) => {
    now++;
    peak = Math.max(peak, now);
    await new Promise((r) => setTimeout(r, 5 * (6 - x)));
    done.push(x);
    now--;
  });
  t.equal(peak, 2);
  t.same([...done].sort(), [1, 2, 3, 4, 5]);
});

t.test('CI exports: a job per kernel, reports uploaded always, valid after a YAML round trip', async (t) => {
  const s = spec({
    name: 'm',
    kernels: ['debian', { series: 'lab-fixture', configs: ['debug'] }],
    guests: ['default', 'small'],
    suites: ['damon-smoke'],
    timeout: 300,
  });
  const plan = planMatrix(s);
  const file = join(repo, 'suites/matrices/m.yaml');
  const gh = yaml.load(githubWorkflow(s, plan, file)) as {
    on: unknown;
    jobs: Record<string, { 'runs-on': string; 'timeout-minutes': number; steps: Array<Record<string, unknown>> }>;
  };
  t.same(Object.keys(gh.jobs), ['debian', 'lab-fixture_debug']);
  t.ok(gh.on && typeof gh.on === 'object', "'on' survives as a key, not a boolean");
  for (const [id, job] of Object.entries(gh.jobs)) {
    t.match(id, /^[A-Za-z_][A-Za-z0-9_-]*$/, 'job ids as GitHub allows them');
    t.equal(typeof job['runs-on'], 'string');
    t.ok(
      job.steps.every((st) => 'uses' in st !== 'run' in st),
      'each step has exactly one of uses / run',
    );
    const upload = job.steps.find((st) => String(st.uses).startsWith('actions/upload-artifact@'));
    t.equal(upload?.if, 'always()', 'reports are uploaded even when a cell fails');
    t.ok(
      job.steps.some(
        (st) => typeof st.run === 'string' && st.run.includes('./lab matrix run suites/matrices/m.yaml --kernel'),
      ),
    );
  }
  t.equal(
    gh.jobs.debian!['timeout-minutes'],
    10 + 2 * 5 * 2,
    'a build budget plus two cells of 5 min, each with one retry',
  );
  const gl = yaml.load(gitlabPipeline(s, plan, file)) as Record<
    string,
    { stage: string; script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } } }
  > & { stages: string[] };
  for (const id of ['debian', 'lab-fixture_debug']) {
    const job = gl[id]!;
    t.ok(gl.stages.includes(job.stage));
    t.same([job.artifacts.when, job.artifacts.paths], ['always', ['reports/']]);
    t.equal(job.artifacts.reports.junit, 'reports/*/junit.xml');
    t.ok(job.script.every((l) => typeof l === 'string'));
  }
  t.equal(jobId('9lives'), 'k_9lives');
});

t.test("the matrix report says what each kernel's DAMON offers, from its cells' probes", async (t) => {
  const { damonByKernel } = await import('../../harness/matrix/matrix-report.js');
  const cell = (
    kernel: string,
    metrics: string[],
    probes: boolean,
    users: Array<{ name: string; built: string; enabledAtBoot: boolean }>,
  ) => ({
    kernel,
    summary: {
      kernel: { release: `${kernel}-rel` },
      damon: {
        inKernelUsers: users,
        keptOff: [],
        probe: {
          availOperations: ['paddr'],
          features: { probes: probes, targetNid: true },
          goalMetrics: metrics,
          goalTuners: probes ? ['consist', 'temporal'] : [],
          probeFilterTypes: probes ? ['anon', 'memcg'] : [],
          activeInKernelUsers: [],
        },
      },
    } as never,
  });
  const rows = damonByKernel([
    cell('debian-6.12', ['user_input'], false, []),
    cell('debian-7.2', ['user_input', 'node_eligible_mem_bp'], true, [
      { name: 'damon_stat', built: 'y', enabledAtBoot: true },
    ]),
    cell('debian-7.2', ['user_input'], true, []),
  ]);
  t.same(
    rows.map((r) => [r.kernel, r.goalMetrics, r.features, r.inKernelUsers]),
    [
      ['debian-6.12', ['user_input'], ['targetNid'], []],
      ['debian-7.2', ['user_input', 'node_eligible_mem_bp'], ['probes', 'targetNid'], ['damon_stat (on at boot)']],
    ],
  );
});

t.test('CI export: every word from the matrix is quoted; names that could carry a command are refused', async (t) => {
  const { labMatrixRun } = await import('../../harness/matrix/ci-export.js');
  t.equal(
    labMatrixRun('suites/matrices/my file.yaml', "x'; rm -rf /; '"),
    `./lab matrix run 'suites/matrices/my file.yaml' --kernel 'x'\\''; rm -rf /; '\\'''`,
  );
  t.throws(
    () =>
      MatrixSpecSchema.parse({
        name: 'm',
        kernels: [{ series: 'lab-fixture', configs: ["debug'; touch /tmp/x; '"] }],
        guests: ['default'],
        suites: ['damon-smoke'],
      }),
    /a fragment name or path/,
  );
});

t.test(
  "a baseline kernel: named in the matrix or an error; each other kernel's cell against its guest and suite there",
  async (t) => {
    const { baselinePairs, compareWithBaseline } = await import('../../harness/compare/compare-kernels.js');
    const doc = {
      name: 'm',
      kernels: ['debian-7.2', { series: 'ravi-ibs-rfc-on-7.2' }],
      guests: ['default'],
      suites: ['damon-smoke', 'damon-kunit'],
      exclude: [{ kernel: 'debian-7.2', suite: 'damon-kunit' }],
    };
    t.throws(
      () => planMatrix(spec({ ...doc, baseline: 'debian-6.12' })),
      /baseline: 'debian-6.12' is not one of the matrix's kernels \(debian-7.2, ravi-ibs-rfc-on-7.2\)/,
    );
    const plan = planMatrix(spec({ ...doc, baseline: 'debian-7.2' }));
    const pairs = baselinePairs(plan.cells, 'debian-7.2');
    t.same(
      pairs.map((p) => [p.cell.id, p.baseline.id]),
      [['ravi-ibs-rfc-on-7.2/default/damon-smoke', 'debian-7.2/default/damon-smoke']],
      'a suite the baseline kernel does not run has no pair',
    );
    const rec = (
      path: string,
      status: 'PASS' | 'FAIL',
      metrics: Array<{ name: string; value: number; unit: string }> = [],
    ) => ({ path, name: path.split('.').pop()!, status, durationMs: 1, metrics });
    const c = compareWithBaseline(
      { id: 'x', baselineId: 'y' },
      [
        rec('s.a', 'PASS', [
          { name: 'kdamond_cpu', value: 4, unit: '%' },
          { name: 'recall', value: 0, unit: '%' },
        ]),
        rec('s.b', 'PASS'),
        rec('s.c', 'FAIL'),
      ],
      [
        rec('s.a', 'PASS', [
          { name: 'kdamond_cpu', value: 5, unit: '%' },
          { name: 'recall', value: 90, unit: '%' },
          { name: 'new_one', value: 1, unit: 's' },
        ]),
        rec('s.b', 'FAIL'),
        rec('s.c', 'PASS'),
      ],
    );
    t.same(
      c.newFailures.map((x) => x.path),
      ['s.b'],
    );
    t.same(
      c.fixes.map((x) => x.path),
      ['s.c'],
    );
    t.same(
      c.metrics,
      [
        { test: 's.a', name: 'kdamond_cpu', unit: '%', baseline: 4, value: 5, delta: 1, ratio: 1.25 },
        { test: 's.a', name: 'recall', unit: '%', baseline: 0, value: 90, delta: 90 },
      ],
      'metrics both runs have, a ratio only where the baseline is not 0',
    );
    const { renderAgainstBaseline } = await import('../../harness/matrix/matrix-report.js');
    const html = renderAgainstBaseline({ baselineKernel: 'debian-7.2', againstBaseline: [c] } as never);
    t.match(html, /Against the baseline kernel debian-7.2/);
    t.match(html, /new failure s\.b: PASS → FAIL/);
    t.match(html, /<td>kdamond_cpu<\/td><td>4\.00 %<\/td><td>5\.00 %<\/td><td>\+1\.00<\/td><td>×1\.25<\/td>/);
  },
);

t.test(
  'CI export of a matrix with a baseline kernel: one job running every kernel, so the comparison has both',
  async (t) => {
    const { jobGroups } = await import('../../harness/matrix/ci-export.js');
    const s = spec({
      name: 'm',
      kernels: [{ series: 'damon-7.2' }, { series: 'ravi-ibs-rfc-on-7.2' }],
      guests: ['default'],
      suites: ['damon-smoke'],
      baseline: 'damon-7.2',
    });
    const plan = planMatrix(s);
    t.same(jobGroups(s, plan), [
      {
        id: 'matrix',
        name: 'damon-7.2, ravi-ibs-rfc-on-7.2 against damon-7.2 (2 cells)',
        kernels: ['damon-7.2', 'ravi-ibs-rfc-on-7.2'],
      },
    ]);
    const wf = yaml.load(githubWorkflow(s, plan, join(repo, 'suites/matrices/m.yaml'))) as {
      jobs: Record<string, { steps: Array<{ run?: string }> }>;
    };
    t.same(Object.keys(wf.jobs), ['matrix']);
    t.equal(wf.jobs.matrix!.steps.find((x) => x.run)?.run, './lab matrix run suites/matrices/m.yaml');
    const noBase = spec({ ...s, baseline: undefined });
    t.same(
      jobGroups(noBase, planMatrix(noBase)).map((g) => g.kernel),
      ['damon-7.2', 'ravi-ibs-rfc-on-7.2'],
    );
  },
);
