// lab matrix run's orchestration with its kernels and cells swapped (MatrixOps): kernels before cells,
// a kernel that did not build makes its cells ERROR, an infrastructure failure is retried, results come
// from each cell's result file and summary, the aggregate report is written. No builds, no QEMU.
import t from 'tap';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMatrix, cellFromResult, type MatrixOps } from '../../harness/matrix/run-matrix.js';
import { MatrixSpecSchema } from '../../harness/schema/matrix.js';
import type { RunSummary } from '../../harness/run/run-summary.js';
import type { Outcome } from '../../harness/util/outcome.js';
import { fakeSummary } from '../helpers/fake-summary.js';

function summary(suite: string, status: 'PASS' | 'FAIL' | 'ERROR', outcome: Outcome): RunSummary {
  return fakeSummary({ suite, name: 'check', status, outcome });
}

t.test(
  "kernels first, then cells; a failed kernel is its cells' ERROR; infrastructure retried; summary and report written",
  async (t) => {
    process.env.LAB_REPORTS = mkdtempSync(join(tmpdir(), 'lab-matrix-reports-'));
    const spec = MatrixSpecSchema.parse({
      name: 'orch',
      kernels: ['debian-6.12', 'debian-7.2', 'debian-7.3'],
      guests: ['default'],
      suites: ['damon-smoke', 'damon-kunit'],
      retries: 1,
    });
    const order: string[] = [];
    const lostOnce = new Set(['debian-7.2/default/damon-smoke']);
    const ops: MatrixOps = {
      async prepareKernel(k) {
        order.push(`kernel ${k.id}`);
        return k.id === 'debian-7.3'
          ? { id: k.id, ok: false, seconds: 0, error: 'no such package\nmore' }
          : { id: k.id, ok: true, seconds: 0, release: k.id };
      },
      async runCell(cell, _k, attempt, { cellsDir }) {
        order.push(`cell ${cell.id} #${attempt}`);
        if (lostOnce.delete(cell.id))
          return { result: { outcome: 'guest-lost', error: 'QEMU exited' }, timedOut: false, output: '' };
        const bad = cell.id === 'debian-6.12/default/damon-kunit';
        const s = summary(cell.suite, bad ? 'FAIL' : 'PASS', bad ? 'test-failed' : 'ok');
        return {
          result: { outcome: s.outcome, reportDir: join(cellsDir, `run-${cell.id.replace(/\//g, '_')}`), summary: s },
          timedOut: false,
          output: '',
        };
      },
    };
    const r = await runMatrix({ spec, file: 'orch.yaml', jobs: 1, cache: '/nonexistent', log: () => {}, ops });
    t.same(
      order.slice(0, 3),
      ['kernel debian-6.12', 'kernel debian-7.2', 'kernel debian-7.3'],
      'every kernel ready before any cell',
    );
    const cell = (id: string) => r.summary.cells.find((c) => c.id === id)!;
    t.same(
      [cell('debian-7.3/default/damon-smoke').status, cell('debian-7.3/default/damon-smoke').outcome],
      ['ERROR', 'build-failed'],
    );
    t.match(cell('debian-7.3/default/damon-smoke').reason, /kernel debian-7\.3 did not build: no such package$/);
    t.notOk(
      order.some((x) => x.startsWith('cell debian-7.3')),
      'no cell of a kernel that is not there runs',
    );
    const retried = cell('debian-7.2/default/damon-smoke');
    t.same([retried.status, retried.attempts, retried.outcome], ['PASS', 2, 'ok'], 'a lost guest is tried again');
    t.same(
      [cell('debian-6.12/default/damon-kunit').status, cell('debian-6.12/default/damon-kunit').attempts],
      ['FAIL', 1],
      'a test failure is not retried',
    );
    t.equal(cell('debian-6.12/default/damon-smoke').report, 'cells/run-debian-6.12_default_damon-smoke');
    t.equal(r.outcome, 'test-failed');
    const onDisk = JSON.parse(readFileSync(join(r.dir, 'summary.json'), 'utf8'));
    t.equal(onDisk.cells.length, 6);
    t.ok(existsSync(join(r.dir, 'index.html')));
  },
);

t.test('cellFromResult: no result, a timeout, an error before any report', async (t) => {
  t.same(cellFromResult(undefined, 1, { timedOut: false, timeout: 60, output: 'a\nb\nSegmentation fault' }), {
    attempts: 1,
    status: 'ERROR',
    reason: "the cell's run gave no result: b | Segmentation fault",
  });
  t.same(cellFromResult(undefined, 2, { timedOut: true, timeout: 60, output: '' }), {
    attempts: 2,
    status: 'TIMEOUT',
    reason: 'timed out after 60 s',
  });
  t.same(
    cellFromResult({ outcome: 'bad-input', error: 'guests/x.yaml:3: bad\nmore' }, 1, {
      timedOut: false,
      timeout: 60,
      output: '',
    }),
    {
      attempts: 1,
      status: 'ERROR',
      outcome: 'bad-input',
      reason: 'guests/x.yaml:3: bad',
    },
  );
});
