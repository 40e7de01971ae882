import t from 'tap';
import { judgeConvergence, nodePages, shareBp } from '../../harness/damon/tiering.js';

t.test('numa_maps: pages per node of the workload mapping only', async (t) => {
  const maps = [
    '55d4a8a00000 default file=/usr/local/bin/hotcold mapped=2 N0=2 kernelpagesize_kB=4',
    '7f0000000000 default anon=65536 dirty=65536 N0=40000 N1=25536 kernelpagesize_kB=4',
    '7ffd00000000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4',
  ].join('\n');
  const p = nodePages(maps, 0x7f0000000000, 0x7f0010000000);
  t.same(
    [...p],
    [
      [0, 40000],
      [1, 25536],
    ],
  );
  t.equal(shareBp(p, 0), 6104);
  t.equal(shareBp(new Map(), 0), 0);
});

t.test('convergence: time into the band for good, steady error and spread', async (t) => {
  const s: Array<[number, number]> = [
    [1, 100],
    [2, 90],
    [3, 75],
    [4, 61],
    [5, 59],
    [6, 60.5],
    [7, 60],
    [8, 59.5],
  ];
  const c = judgeConvergence(s, 60, 2);
  t.equal(c.convergeSeconds, 4);
  t.equal(c.samples, 5);
  t.ok(c.meanErrorPp <= 1 && c.stddevPp < 1);
  const never = judgeConvergence(
    [
      [1, 100],
      [2, 95],
      [3, 90],
      [4, 85],
    ],
    60,
    2,
  );
  t.equal(never.convergeSeconds, undefined);
  t.equal(never.samples, 2);
  t.equal(never.meanErrorPp, 27.5);
  // Entering the band and leaving it again is not convergence.
  t.equal(
    judgeConvergence(
      [
        [1, 60],
        [2, 70],
        [3, 60],
        [4, 60],
      ],
      60,
      2,
    ).convergeSeconds,
    3,
  );
});

t.test(
  "tiering goal variants: the kernel's own metric where it has one, else user_input; asked-for ones it lacks are SKIP",
  async (t) => {
    const { chooseTieringGoal, nodeUsedTargetBp, parseNodeMeminfo } = await import('../../harness/damon/tiering.js');
    const k612 = ['user_input', 'some_mem_psi_us'];
    const k72 = ['user_input', 'some_mem_psi_us', 'node_mem_used_bp', 'node_mem_free_bp', 'node_eligible_mem_bp'];
    t.equal(chooseTieringGoal('auto', k72, true), 'node_eligible_mem_bp');
    t.equal(chooseTieringGoal('auto', k612, false), 'user_input');
    t.equal(chooseTieringGoal('auto', [...k612, 'node_sys_bp'], true), 'node_sys_bp', 'the RFC kernel');
    t.equal(chooseTieringGoal('node_mem_used_bp', k72, true), 'node_mem_used_bp');
    t.match(chooseTieringGoal('native', k612, false), {
      skip: /no native per-node goal metric .*node_eligible_mem_bp, Linux 7\.2\+/,
    });
    t.match(chooseTieringGoal('node_mem_used_bp', k612, false), {
      skip: /no quota goal metric node_mem_used_bp \(Linux 6\.16\+\)/,
    });
    // node 0: 768 MiB, 300 used of which 200 are the workload's (of 384 in all); 60% of 384 on node 0 => 100 + 230.4
    // MiB.
    const MiB = 2 ** 20;
    t.equal(
      nodeUsedTargetBp(
        { totalBytes: 768 * MiB, usedBytes: 300 * MiB },
        { onNodeBytes: 200 * MiB, totalBytes: 384 * MiB },
        6000,
      ),
      Math.round((330.4 / 768) * 10000),
    );
    t.same(
      parseNodeMeminfo(
        'Node 0 MemTotal:         786432 kB\nNode 0 MemFree:          100 kB\nNode 0 MemUsed:           307200 kB\n',
      ),
      { totalBytes: 768 * MiB, usedBytes: 300 * MiB },
    );
  },
);

t.test("nodePhysRanges: each node's physical range from a real numa-cxl guest's /proc/zoneinfo (7.2)", async (t) => {
  const { nodePhysRanges } = await import('../../harness/damon/tiering.js');
  const { readFileSync } = await import('node:fs');
  const zoneinfo = readFileSync(new URL('../fixtures/proc/zoneinfo-numa-cxl-7.2.txt', import.meta.url), 'utf8');
  const r = nodePhysRanges(zoneinfo);
  // node 0: DMA from pfn 1 and DMA32 from 4096 (768 MiB with the CPUs); node 1: DMA32 only (the CPU-less 768 MiB).
  t.same([...r.keys()], [0, 1]);
  t.same(r.get(0), { start: 0x1000n, end: 0x30000000n });
  t.same(r.get(1), { start: 0x30000000n, end: 0x5ffe0000n });
  t.same(
    nodePhysRanges('Node 0, zone   Normal\n        spanned  0\n  start_pfn:           0\n').size,
    0,
    'a zone that spans nothing is no range',
  );
});

t.test(
  "nodeLruBytes: the LRU memory node_eligible_mem_bp counts, from a real numa-cxl guest's node meminfo (7.2, tiering run)",
  async (t) => {
    const { nodeLruBytes, parseNodeMeminfo } = await import('../../harness/damon/tiering.js');
    const { readFileSync } = await import('node:fs');
    const [n0, n1] = readFileSync(
      new URL('../fixtures/proc/node-meminfo-numa-cxl-7.2.txt', import.meta.url),
      'utf8',
    ).split('====');
    // Active + Inactive + Unevictable; not Active(anon) again (a name inside another must not match).
    t.equal(nodeLruBytes(n0!), 233856 * 1024);
    t.equal(nodeLruBytes(n1!), 167936 * 1024);
    t.equal(
      nodeLruBytes(
        'Node 0 Active:  10 kB\nNode 0 Inactive:  5 kB\nNode 0 Unevictable:  1 kB\nNode 0 Active(anon):  99 kB\n',
      ),
      16 * 1024,
    );
    t.ok(Number.isNaN(nodeLruBytes('Node 0 MemTotal:  10 kB\n')), 'a text without the LRU fields is no number, not 0');
    t.equal(parseNodeMeminfo(n1!).totalBytes, 773800 * 1024);
  },
);
