// Where a run's time goes, for the boot bench: the timeline and the console's uptimes split into items,
// the suite's round trips counted inside its stage only, and a timeline with marks missing still itemised.
import t from 'tap';
import { guestUptimes, itemiseRun } from '../../harness/bench/run-cost.js';
import { Timeline } from '../../harness/util/timeline.js';
import { fakeSummary } from '../helpers/fake-summary.js';

const consoleText = [
  '[    0.000000] Linux version 7.2.13+deb14-cloud-amd64',
  '[    2.714369] Run /init as init process',
  'LAB-READY 7.2.13+deb14-cloud-amd64 uptime=3.09',
  '[    3.500000] reboot: Power down',
].join('\n');

const summary = (timeline: ReturnType<Timeline['since']>) => ({
  ...fakeSummary({ suite: 'boot', name: 'guest_runs_the_kernel', status: 'PASS', outcome: 'ok' }),
  timeline,
});

t.test('guest uptimes come from the kernel and init lines', async (t) => {
  t.same(guestUptimes(consoleText), { initAt: 2.714369, readyAt: 3.09 });
  t.same(guestUptimes('no boot here'), {});
});

t.test('a booted run is split into the lab and the boot', async (t) => {
  const timeline = [
    { what: 'run', atMs: 300 },
    { what: 'qemu-spawned', atMs: 450 },
    { what: 'ready-seen', atMs: 3900 },
    { what: 'stage:ssh', atMs: 3900, ms: 150 },
    { what: 'exec', atMs: 4060, ms: 30, note: 'uname -r' },
    { what: 'stage:suite', atMs: 4050, ms: 50 },
    { what: 'exec', atMs: 4110, ms: 40, note: 'sync; poweroff -f' },
    { what: 'stage:shutdown', atMs: 4100, ms: 60 },
    { what: 'report', atMs: 4170 },
  ];
  const items = itemiseRun(summary(timeline), 4.2, consoleText);
  const get = (prefix: string) => items.find((i) => i.item.startsWith(prefix));
  t.equal(get('node')?.seconds, 0.3);
  t.equal(get('stages before QEMU')?.seconds, 0.15);
  t.equal(get('kernel boot')?.seconds, 2.714);
  t.equal(get("init's work")?.seconds, 0.376);
  // 3450 ms from spawn to seeing LAB-READY, of which the guest clock counted 3090.
  t.equal(get('QEMU start')?.seconds, 0.36);
  t.equal(get('ssh connect')?.seconds, 0.15);
  t.equal(get('suite: its round trips')?.seconds, 0.03);
  t.equal(get('suite: its round trips')?.count, 1, 'the poweroff is not the suite’s round trip');
  t.equal(get('suite: the rest')?.seconds, 0.02);
  t.equal(get('shutdown')?.seconds, 0.06);
  t.equal(get('report and exit')?.seconds, 0.03);
  t.same(
    items.filter((i) => i.own).map((i) => i.item.split(' ')[0]),
    ['node', 'stages', "init's", 'ssh', 'suite:', 'report'],
  );
});

t.test('a run without a console or marks still gives what it has', async (t) => {
  const items = itemiseRun(
    summary([
      { what: 'run', atMs: 250 },
      { what: 'stage:suite', atMs: 300, ms: 100 },
    ]),
    1,
    '',
  );
  t.same(
    items.map((i) => i.item),
    [
      'node and the CLI, to the run',
      'suite: its round trips into the guest',
      'suite: the rest (its waits, host-side work)',
    ],
  );
});

t.test('the timeline takes a run’s entries and caps a long one', async (t) => {
  const tl = new Timeline();
  tl.mark('before');
  const from = tl.entries.length;
  tl.mark('run');
  await tl.time('exec', async () => {}, 'true');
  t.same(
    tl.since(from).map((e) => e.what),
    ['run', 'exec'],
  );
  for (let i = 0; i < 2100; i++) tl.span('exec', performance.now());
  t.equal(tl.entries.length, 2000);
  t.equal(tl.overflow.exec?.count, 103);
});
