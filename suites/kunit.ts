import { z } from 'zod';
import { parseKtap, countLeaves, type KtapTest } from '../harness/results/ktap-parser.js';
import { ktapRecords } from '../harness/results/ktap-records.js';
import { shq } from '../harness/guest/shell-quote.js';
import type { Scenario } from '../harness/suites/scenario.js';
import type { GuestSsh } from '../harness/guest/ssh-session.js';
import type { KernelArtifact } from '../harness/kernel/kernel-artifact.js';

/**
 * KUnit in a guest, read the way kunit_tool reads it: built-in suites ran at boot (filtered by the
 * suite's kunit.filter_glob=) and printed KTAP on the console; test modules are loaded with modprobe
 * and their results read from /sys/kernel/debug/kunit/<suite>/results. The guest's init does that at
 * boot, before the network (atBoot), and prints the results on the console, so a run needs no SSH; a
 * module whose results did not come through intact is loaded again over SSH.
 */
const Params = z
  .object({
    /** Built-in suites that must appear in the boot log (all that ran are reported). */
    builtin_suites: z.array(z.string()).default([]),
    /**
     * When the test modules load: `boot` (the guest's init, before the network; the run needs no SSH) or
     * `ssh` (over SSH once the guest is up, for a test that wants the whole guest running first).
     */
    load_modules: z.enum(['boot', 'ssh']).default('boot'),
    /** Test modules to load, each with the suites it registers. */
    modules: z
      .array(
        z
          .object({
            module: z.string(),
            suites: z.array(z.string()).min(1),
            config: z
              .string()
              .regex(/^CONFIG_/)
              .optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

const MARK = '@@LAB-KUNIT@@';

type TestModule = z.infer<typeof Params>['modules'][number];

/**
 * Pure: the init's boot script for these test modules. Each suite's results go on one console line with
 * their byte count and in base64, so that a line the kernel's own console output broke into is noticed
 * (and read again over SSH) rather than parsed as something else; the printed KTAP stays once on the
 * console, as the kernel printed it.
 */
export function kunitBootScript(modules: readonly Pick<TestModule, 'module' | 'suites'>[]): string {
  return [
    "# KUnit test modules: each loaded, its suites' debugfs results printed, unloaded.",
    'oneline() { tr "\\n" " " < "$1"; }',
    'kunit_module() {',
    '\tm=$1',
    '\tshift',
    '\tif ! modprobe "$m" > /tmp/kunit-err 2>&1; then',
    '\t\techo "LAB-KUNIT-MODPROBE-FAILED $m $(oneline /tmp/kunit-err)"',
    '\t\treturn 1',
    '\tfi',
    '\tfor s in "$@"; do',
    '\t\tif cat "/sys/kernel/debug/kunit/$s/results" > /tmp/kunit-results 2> /tmp/kunit-err; then',
    '\t\t\techo "LAB-KUNIT-RESULTS $s $(wc -c < /tmp/kunit-results) $(base64 -w 0 /tmp/kunit-results)"',
    '\t\telse',
    '\t\t\techo "LAB-KUNIT-UNREADABLE $s $(oneline /tmp/kunit-err)"',
    '\t\tfi',
    '\tdone',
    '\trmmod "$m" 2> /dev/null',
    '\treturn 0',
    '}',
    'rc=0',
    ...modules.map((m) => `${['kunit_module', m.module, ...m.suites].map(shq).join(' ')} || rc=1`),
    'exit $rc',
    '',
  ].join('\n');
}

export interface BootResults {
  /** Suite → its debugfs results, for every line that came through intact. */
  results: Map<string, string>;
  /** Suite → why its results could not be read. */
  unreadable: Map<string, string>;
  /** Module → modprobe's error. */
  modprobeFailed: Map<string, string>;
}

/** Pure: what the boot script printed, read back from the console. */
export function bootResults(consoleText: string): BootResults {
  const out: BootResults = { results: new Map(), unreadable: new Map(), modprobeFailed: new Map() };
  for (const raw of consoleText.split('\n')) {
    const line = raw.replace(/\r$/, '');
    let m = /^LAB-KUNIT-RESULTS (\S+) +(\d+) ([A-Za-z0-9+/]*={0,2})$/.exec(line);
    if (m) {
      const data = Buffer.from(m[3]!, 'base64');
      if (data.length === Number(m[2])) out.results.set(m[1]!, data.toString('utf8'));
      continue;
    }
    m = /^LAB-KUNIT-UNREADABLE (\S+) ?(.*)$/.exec(line);
    if (m) {
      out.unreadable.set(m[1]!, m[2]!.trim() || 'no such file');
      continue;
    }
    m = /^LAB-KUNIT-MODPROBE-FAILED (\S+) ?(.*)$/.exec(line);
    if (m) out.modprobeFailed.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** Pure: the console up to the kernel starting init (all of it when it never did). */
export function beforeInit(consoleText: string): string {
  const m = /^.*Run \S+ as init process/m.exec(consoleText);
  return m ? consoleText.slice(0, m.index) : consoleText;
}

/** The suites' results of one module over SSH, in one round trip: load, read every suite, unload. */
async function readOverSsh(ssh: GuestSsh, m: TestModule): Promise<Map<string, string>> {
  const reads = m.suites
    .map((s) => `echo ${MARK}${s}; cat ${shq(`/sys/kernel/debug/kunit/${s}/results`)} || echo ${MARK}unreadable`)
    .join('; ');
  const r = await ssh.exec(`modprobe ${shq(m.module)} || exit 90; ${reads}; rmmod ${shq(m.module)}`);
  if (r.code === 90) throw new Error(`modprobe ${m.module} failed: ${r.stderr.trim()}`);
  const parts = splitMarked(r.stdout);
  for (const s of m.suites) {
    const text = parts.get(s);
    if (text === undefined || /^@@LAB-KUNIT@@unreadable$/m.test(text))
      throw new Error(`cannot read /sys/kernel/debug/kunit/${s}/results: ${r.stderr.trim() || 'no such file'}`);
  }
  return parts;
}

/**
 * What the kernel has of a test module: nothing (its config symbol unset: SKIP), built in (=y: its suites
 * ran at boot with the others, read from the console), or a module to load (=m, or no symbol named).
 */
function moduleKind(m: TestModule, config: KernelArtifact['config']): 'absent' | 'built-in' | 'module' {
  const v = m.config ? config.get(m.config) : 'm';
  return v === 'y' ? 'built-in' : v === 'm' ? 'module' : 'absent';
}

/** Pure: the output of the combined read, split at the markers into suite name → its text. */
export function splitMarked(out: string): Map<string, string> {
  const parts = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK) && line !== `${MARK}unreadable`) {
      if (name !== undefined) parts.set(name, lines.join('\n'));
      name = line.slice(MARK.length);
      lines = [];
    } else lines.push(line);
  }
  if (name !== undefined) parts.set(name, lines.join('\n'));
  return parts;
}

const scenario: Scenario = {
  checks: ['kunit_results_found'],
  // Built-in suites are read from the console: on a console-only kernel the boot log is the whole run.
  console: true,
  atBoot({ suite, kernel }) {
    const p = Params.parse(suite.params);
    const modules = p.modules.filter((m) => moduleKind(m, kernel.config) === 'module');
    return modules.length && p.load_modules === 'boot' ? kunitBootScript(modules) : undefined;
  },
  async run({ suite, kernel, ssh, consoleOnly, checks, log, console, saveArtifact }) {
    const p = Params.parse(suite.params);
    const trees: KtapTest[] = [];
    await checks.check('kunit_results_found', async () => {
      // Built-in suites run before the kernel starts init; what comes after (a test module's KTAP, printed
      // as it loads at boot) is read from debugfs below, not counted twice.
      const consoleText = console();
      const boot = parseKtap(beforeInit(consoleText));
      if (p.builtin_suites.length) {
        const names = boot.children.map((c) => c.name);
        const missing = p.builtin_suites.filter((s) => !names.includes(s));
        log(`built-in: ${names.join(', ') || 'none'} (${countLeaves(boot).total} cases)`);
        if (missing.length)
          throw new Error(
            `built-in KUnit suites missing from the boot log: ${missing.join(', ')} (is kunit.filter_glob right, is CONFIG_*_KUNIT_TEST=y?)`,
          );
        // Every suite that ran is reported (the filter glob chose them), the named ones are required.
        trees.push(boot);
      }
      const fromBoot = bootResults(consoleText);
      const skipSuite = (s: string, reason: string) =>
        checks.addRecords([{ path: `${suite.name}.${s}`, name: s, status: 'SKIP', durationMs: 0, reason }]);
      for (const m of p.modules) {
        const kind = moduleKind(m, kernel.config);
        // A test module the kernel was not built with is SKIP (with the symbol), not a failure.
        if (kind === 'absent') {
          for (const s of m.suites) skipSuite(s, `${m.config} is not set in this kernel`);
          continue;
        }
        if (kind === 'built-in') {
          // Its suites ran at boot with the built-in ones: counted there (once), unless the filter left them out.
          for (const s of m.suites) {
            const ran = boot.children.find((c) => c.name === s);
            if (!ran)
              skipSuite(
                s,
                `${m.config}=y: built in, and it did not run at boot (does kunit.filter_glob leave it out?)`,
              );
            else if (!p.builtin_suites.length) trees.push({ name: '', status: ran.status, children: [ran], log: [] });
          }
          continue;
        }
        if (consoleOnly) {
          for (const s of m.suites)
            skipSuite(s, `${m.module} is loaded by the lab's init (or over SSH), and ${consoleOnly}`);
          continue;
        }
        const failed = fromBoot.modprobeFailed.get(m.module);
        if (failed !== undefined) throw new Error(`modprobe ${m.module} failed: ${failed}`);
        for (const s of m.suites) {
          const why = fromBoot.unreadable.get(s);
          if (why !== undefined) throw new Error(`cannot read /sys/kernel/debug/kunit/${s}/results: ${why}`);
        }
        let parts = fromBoot.results;
        if (!m.suites.every((s) => parts.has(s))) {
          if (p.load_modules === 'boot')
            log(`${m.module}: its results did not come through the console intact; loading it again over SSH`);
          parts = await readOverSsh(ssh, m);
        }
        for (const s of m.suites) {
          const text = parts.get(s)!;
          saveArtifact(`kunit-${s}.ktap`, text);
          const tree = parseKtap(text);
          // debugfs holds one suite's KTAP at the top level: name the tree after the suite.
          trees.push(
            tree.children.length === 1 && tree.children[0]!.name === s
              ? tree
              : { name: '', status: tree.status, children: [{ ...tree, name: s }], log: [] },
          );
          log(`${m.module}: ${s}: ${countLeaves(tree).total} cases`);
        }
      }
    });
    for (const t of trees) checks.addRecords(ktapRecords(t, suite.name));
  },
};

export default scenario;
