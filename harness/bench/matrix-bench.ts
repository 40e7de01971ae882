import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../util/paths.js';
import type { MatrixSummary } from '../matrix/run-matrix.js';
import { fmtSeconds, median } from './stats.js';

const labBin = join(repoRoot(), 'dist', 'harness', 'cli', 'main.js');
const MATRIX = join(repoRoot(), 'suites', 'matrices', 'smoke-guests.yaml');

async function matrixRun(
  jobs: number | undefined,
  snapshots = true,
): Promise<{ seconds: number; summary: MatrixSummary }> {
  const reports = mkdtempSync(join(tmpdir(), 'bench-matrix-'));
  try {
    const t0 = performance.now();
    const r = await execa(
      'node',
      [labBin, 'matrix', 'run', MATRIX, '--quiet', ...(jobs ? ['--jobs', String(jobs)] : [])],
      { reject: false, all: true, env: { LAB_REPORTS: reports, ...(snapshots ? {} : { LAB_NO_SNAPSHOT: '1' }) } },
    );
    const seconds = (performance.now() - t0) / 1000;
    if (r.exitCode !== 0) throw new Error(`lab matrix run exited ${r.exitCode}:\n${r.all.slice(-2000)}`);
    const dir = join(reports, readdirSync(reports).find((d) => d.includes('-matrix-'))!);
    return { seconds, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as MatrixSummary };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

/**
 * A 4-cell matrix (the stock kernel, four guests, damon-smoke) on the pool against the same cells one
 * after another (--jobs 1), and the pool with every cell booting (LAB_NO_SNAPSHOT=1) against the pool
 * restoring each cell's guest from its snapshot; interleaved, in the same run. Target: pool / sequential
 * ≤ 0.65 on 2 cores.
 */
export async function matrixBench(reps: number): Promise<void> {
  console.log('== lab matrix run smoke-guests (1 kernel × 4 guests × damon-smoke): pool vs one cell at a time');
  await matrixRun(1); // warm-up: kernel, image and probe caches
  const seq: number[] = [];
  const par: number[] = [];
  const booted: number[] = [];
  let limit = 0;
  for (let i = 0; i < reps; i++) {
    seq.push((await matrixRun(1)).seconds);
    const p = await matrixRun(undefined);
    par.push(p.seconds);
    limit = p.summary.pool.limit;
    booted.push((await matrixRun(undefined, false)).seconds);
  }
  console.log(
    `sequential (--jobs 1)          median ${fmtSeconds(median(seq))}  [${seq.map((x) => x.toFixed(1)).join(' ')}]`,
  );
  console.log(
    `pool (${limit} guests at once)        median ${fmtSeconds(median(par))}  [${par.map((x) => x.toFixed(1)).join(' ')}]`,
  );
  console.log(
    `pool, every cell booting         median ${fmtSeconds(median(booted))}  [${booted.map((x) => x.toFixed(1)).join(' ')}]`,
  );
  const ratio = median(par) / median(seq);
  console.log(`ratio pool/sequential: ${ratio.toFixed(2)} (target ≤ 0.65: ${ratio <= 0.65 ? 'met' : 'NOT met'})`);
  console.log(`ratio restored/booting (pool): ${(median(par) / median(booted)).toFixed(2)}`);
}
