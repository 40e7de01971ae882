import t from 'tap';
import { judgeConvergence, nodePages, shareBp } from '../../harness/damon/tiering.js';

t.test('numa_maps: pages per node of the workload mapping only', async (t) => {
  const maps = [
    '55d4a8a00000 default file=/usr/local/bin/hotcold mapped=2 N0=2 kernelpagesize_kB=4',
    '7f0000000000 default anon=65536 dirty=65536 N0=40000 N1=25536 kernelpagesize_kB=4',
    '7ffd00000000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4',
  ].join('\n');
  const p = nodePages(maps, 0x7f0000000000, 0x7f0010000000);
  t.same([...p], [[0, 40000], [1, 25536]]);
  t.equal(shareBp(p, 0), 6104);
  t.equal(shareBp(new Map(), 0), 0);
});

t.test('convergence: time into the band for good, steady error and spread', async (t) => {
  const s: Array<[number, number]> = [[1, 100], [2, 90], [3, 75], [4, 61], [5, 59], [6, 60.5], [7, 60], [8, 59.5]];
  const c = judgeConvergence(s, 60, 2);
  t.equal(c.convergeSeconds, 4);
  t.equal(c.samples, 5);
  t.ok(c.meanErrorPp <= 1 && c.stddevPp < 1);
  const never = judgeConvergence([[1, 100], [2, 95], [3, 90], [4, 85]], 60, 2);
  t.equal(never.convergeSeconds, undefined);
  t.equal(never.samples, 2);
  t.equal(never.meanErrorPp, 27.5);
  // Entering the band and leaving it again is not convergence.
  t.equal(judgeConvergence([[1, 60], [2, 70], [3, 60], [4, 60]], 60, 2).convergeSeconds, 3);
});
