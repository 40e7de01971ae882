import t from 'tap';
import { readFileSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { countLeaves, parseKtap } from '../../harness/results/ktap-parser.js';
import { CheckRecorder } from '../../harness/suites/check-recorder.js';
import { parseKernelConfig } from '../../harness/kernel/kconfig.js';
import type { ScenarioContext } from '../../harness/suites/scenario.js';
import type { GuestSsh } from '../../harness/guest/ssh-session.js';
import type { KernelArtifact } from '../../harness/kernel/kernel-artifact.js';
import { loadSuite } from '../../harness/suites/suite-catalog.js';
import scenario, { beforeInit, bootResults, kunitBootScript } from '../../suites/kunit.js';

// A real damon-kunit console (lab-fixture kernel, TCG): built-in suites at boot, then the init's boot script
// loaded damon_lab_fixture_test and printed its debugfs results as one base64 line.
const bootConsole = readFileSync(new URL('../fixtures/ktap/damon-kunit-boot-script.log', import.meta.url), 'utf8');
const debugfs = readFileSync(new URL('../fixtures/ktap/debugfs-damon_lab_fixture.ktap', import.meta.url), 'utf8');

t.test('the boot script results are read back from a real console', async (t) => {
  const r = bootResults(bootConsole);
  t.same([...r.results.keys()], ['damon_lab_fixture']);
  const tree = parseKtap(r.results.get('damon_lab_fixture')!);
  t.match(countLeaves(tree), { total: 3, PASS: 3 }, 'three passing cases');
  t.equal(r.unreadable.size + r.modprobeFailed.size, 0);
  // The module's KTAP, printed by the kernel as it loaded, comes after init started: not a built-in suite.
  t.same(
    parseKtap(beforeInit(bootConsole)).children.map((c) => c.name),
    ['damon', 'damon-operations', 'damon-sysfs'],
  );
  t.ok(
    parseKtap(bootConsole).children.some((c) => c.name === 'damon_lab_fixture'),
    'the whole console has it',
  );
  t.equal(beforeInit('no init here\n'), 'no init here\n', 'a console-only kernel: all of it');
});

t.test('a results line the kernel printed into is not taken; failures are named', async (t) => {
  const line = bootConsole.split('\n').find((l) => l.startsWith('LAB-KUNIT-RESULTS'))!;
  const cut = 60;
  const broken = bootConsole.replace(
    line,
    `${line.slice(0, cut)}[    1.612345] random: crng init done\r\n${line.slice(cut)}`,
  );
  t.equal(bootResults(broken).results.size, 0, 'a line broken in two');
  const spliced = bootConsole.replace(line, line.slice(0, cut) + line.slice(cut + 8));
  t.equal(bootResults(spliced).results.size, 0, 'a shorter line (byte count differs)');
  const r = bootResults(
    "LAB-KUNIT-UNREADABLE s1 cat: can't open '/sys/kernel/debug/kunit/s1/results': No such file\r\nLAB-KUNIT-MODPROBE-FAILED m1 modprobe: module m1 not found in modules.dep \r\n",
  );
  t.match(r.unreadable.get('s1'), /No such file$/);
  t.equal(r.modprobeFailed.get('m1'), 'modprobe: module m1 not found in modules.dep');
});

t.test('the boot script is valid sh, quotes names, and reports a failed modprobe', async (t) => {
  const script = kunitBootScript([
    { module: 'a_test', suites: ['a', "it's"] },
    { module: 'b_test', suites: ['b'] },
  ]);
  t.match(script, /^kunit_module a_test a 'it'\\''s' \|\| rc=1$/m);
  execFileSync('sh', ['-n', '-c', script]);
  // Run it on the host with a modprobe that fails: the failure line, as bootResults reads it.
  const bin = mkdtempSync(join(tmpdir(), 'kunit-boot-'));
  // a_test fails to load; b_test loads, but this host has no debugfs results for it.
  writeFileSync(
    join(bin, 'modprobe'),
    '#!/bin/sh\n[ "$1" = b_test ] && exit 0\necho "modprobe: module $1 not found in modules.dep" >&2\nexit 1\n',
  );
  writeFileSync(join(bin, 'rmmod'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'rmmod'), 0o755);
  chmodSync(join(bin, 'modprobe'), 0o755);
  const r = spawnSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
  t.equal(r.status, 1, 'its status says a module failed (LAB-BOOT-DONE rc=1), though the last one did not');
  const out = r.stdout;
  t.equal(bootResults(out).modprobeFailed.get('a_test'), 'modprobe: module a_test not found in modules.dep');
  t.match(bootResults(out).unreadable.get('b'), /kunit\/b\/results/);
});

t.test('damon-kunit reads the module from the console, and over SSH when its line was broken', async (t) => {
  const suite = loadSuite('damon-kunit');
  const kernel = {
    release: '6.12.118-lab',
    config: parseKernelConfig('CONFIG_DAMON_LAB_FIXTURE_KUNIT_TEST=m\n'),
  } as unknown as KernelArtifact;
  t.match(scenario.atBoot!({ suite, kernel }), /^kunit_module damon_lab_fixture_test damon_lab_fixture \|\| rc=1$/m);
  const none = { release: 'x', config: parseKernelConfig('') } as unknown as KernelArtifact;
  t.equal(scenario.atBoot!({ suite, kernel: none }), undefined, 'no test module in the kernel: no boot script');

  const run = async (consoleText: string) => {
    const execs: string[] = [];
    const ssh = {
      exec: async (script: string) => {
        execs.push(script);
        return { code: 0, stdout: `@@LAB-KUNIT@@damon_lab_fixture\n${debugfs}`, stderr: '' };
      },
    } as unknown as GuestSsh;
    const checks = new CheckRecorder('damon-kunit');
    const ctx: ScenarioContext = {
      suite,
      kernel,
      ssh,
      checks,
      accel: 'tcg',
      log: () => {},
      console: () => consoleText,
      saveArtifact: () => {},
      addPlot: () => {},
      damonSysfs: () => {
        throw new Error('no DAMON sysfs in a KUnit run');
      },
    };
    await scenario.run(ctx);
    return { execs, records: checks.records };
  };
  const direct = await run(bootConsole);
  t.same(direct.execs, [], 'no SSH');
  t.same(
    direct.records.filter((r) => r.path.startsWith('damon-kunit.damon_lab_fixture.')).map((r) => r.status),
    ['PASS', 'PASS', 'PASS'],
  );
  t.equal(direct.records.filter((r) => r.path.startsWith('damon-kunit.damon_lab_fixture.')).length, 3, 'counted once');

  // Built in (=y): its suite ran at boot and is counted from the boot log once; nothing is loaded.
  const y = {
    release: '6.12.118-lab',
    config: parseKernelConfig('CONFIG_DAMON_LAB_FIXTURE_KUNIT_TEST=y\n'),
  } as unknown as KernelArtifact;
  t.equal(scenario.atBoot!({ suite, kernel: y }), undefined, 'no boot script for a built-in test module');
  const bootWithFixture = bootConsole.replace(/^(.*)Run \/init as init process/m, (_m, pre: string) =>
    [
      'KTAP version 1',
      '1..1',
      '    KTAP version 1',
      '    # Subtest: damon_lab_fixture',
      '    1..1',
      '    ok 1 damon_lab_fixture_test_half',
      'ok 1 damon_lab_fixture',
      `${pre}Run /init as init process`,
    ].join('\n'),
  );
  const yChecks = new CheckRecorder('damon-kunit');
  await scenario.run({
    suite,
    kernel: y,
    ssh: {} as GuestSsh,
    checks: yChecks,
    accel: 'tcg',
    log: () => {},
    console: () => bootWithFixture,
    saveArtifact: () => {},
    addPlot: () => {},
    damonSysfs: () => {
      throw new Error('no DAMON sysfs in a KUnit run');
    },
  });
  t.same(
    yChecks.records.filter((r) => r.path.startsWith('damon-kunit.damon_lab_fixture.')).map((r) => r.path),
    ['damon-kunit.damon_lab_fixture.damon_lab_fixture_test_half'],
    'counted once, from the boot log',
  );

  const line = bootConsole.split('\n').find((l) => l.startsWith('LAB-KUNIT-RESULTS'))!;
  const fallback = await run(bootConsole.replace(line, `${line.slice(0, 40)}[    1.6] x\n${line.slice(40)}`));
  t.equal(fallback.execs.length, 1, 'one SSH round trip');
  t.match(fallback.execs[0], /^modprobe damon_lab_fixture_test /);
  t.same(
    fallback.records.filter((r) => r.path.startsWith('damon-kunit.damon_lab_fixture.')).map((r) => r.status),
    ['PASS', 'PASS', 'PASS'],
  );
});
