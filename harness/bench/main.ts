import { bootBench } from './boot-bench.js';
import { loopBench } from './loop-bench.js';
import { coldBuildBench, incrementalBuildBench, warmBuildBench } from './build-bench.js';
import { kunitBench } from './kunit-bench.js';
import { bisectBench } from './bisect-bench.js';
import { matrixBench } from './matrix-bench.js';

/**
 * `npm run bench`: the lab against the raw commands it wraps, measured side by side in the same run.
 * Prints medians and ratios against each target; never fails on timing (targets are for people).
 */
const reps = Number(process.env.LAB_BENCH_REPS ?? 5);

/**
 * `npm run bench [-- NAME…]`: the cheap benchmarks by default; cold-build and kunit (kernel builds from scratch) when
 * named.
 */
const benches: Record<string, () => Promise<void>> = {
  smoke: () => bootBench(reps),
  loop: () => loopBench(reps),
  'warm-build': () => warmBuildBench(reps),
  'incremental-build': incrementalBuildBench,
  'cold-build': coldBuildBench,
  kunit: kunitBench,
  bisect: bisectBench,
  matrix: () => matrixBench(Math.min(reps, 3)),
};
const wanted = process.argv.slice(2);
for (const name of wanted)
  if (!benches[name]) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}`);
for (const name of wanted.length ? wanted : ['smoke', 'loop', 'warm-build', 'incremental-build', 'matrix'])
  await benches[name]!();
