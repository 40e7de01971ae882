import t from 'tap';
import { lineWithBandSvg, regionHeatmapSvg } from '../../harness/report/svg-plots.js';

t.test('heatmap: a rect per region per snapshot, gaps cut from the address axis', async (t) => {
  const far = 0x7f0000000000n;
  const snaps = [
    {
      seconds: 1,
      regions: [
        { start: 0x1000n, end: 0x2000n, nrAccesses: 0 },
        { start: far, end: far + 0x1000n, nrAccesses: 20 },
      ],
    },
    {
      seconds: 2,
      regions: [
        { start: 0x1000n, end: 0x2000n, nrAccesses: 1 },
        { start: far, end: far + 0x1000n, nrAccesses: 20 },
      ],
    },
  ];
  const svg = regionHeatmapSvg(snaps, 'vaddr <test>', [[far, far + 0x1000n]]);
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.equal((svg.match(/<rect [^>]*fill="rgb/g) ?? []).length, 4);
  t.match(svg, /vaddr &lt;test&gt;/, 'title escaped');
  // With the gap cut, each region takes half the height: the hot one is not squashed to a sliver.
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="rgb/g)].map(
    (m) => Number(m[1]),
  );
  t.ok(
    heights.every((h) => h > 100),
    `heights ${heights.join(',')}`,
  );
  t.match(svg, /known hot range/);
  t.match(svg, /fill="rgb\(180,20,20\)"/, 'the hottest region is the darkest colour');
});

t.test('line chart with a target band', async (t) => {
  const svg = lineWithBandSvg(
    [
      [0, 50],
      [10, 68],
      [20, 70],
    ],
    'DRAM share',
    { low: 68, high: 72, target: 70 },
    'share (%)',
    [0, 100],
  );
  t.match(svg, /<path d="M70\.0,[\d.]+ L[\d.]+,[\d.]+ L700\.0,[\d.]+"/);
  t.match(svg, /target band/);
});
