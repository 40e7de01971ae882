import { z } from 'zod';
import { parseKtap, countLeaves, type KtapTest } from '../harness/results/ktap-parser.js';
import { ktapRecords } from '../harness/results/ktap-records.js';
import { shq } from '../harness/guest/shell-quote.js';
import type { Scenario } from '../harness/suites/scenario.js';

/**
 * KUnit in a guest, read the way kunit_tool reads it: built-in suites ran at boot (filtered by the
 * suite's kunit.filter_glob=) and printed KTAP on the console; test modules are loaded with modprobe
 * and their results read from /sys/kernel/debug/kunit/<suite>/results.
 */
const Params = z
  .object({
    /** Built-in suites that must appear in the boot log (all that ran are reported). */
    builtin_suites: z.array(z.string()).default([]),
    /** Test modules to load, each with the suites it registers. */
    modules: z
      .array(z.object({ module: z.string(), suites: z.array(z.string()).min(1), config: z.string().regex(/^CONFIG_/).optional() }).strict())
      .default([]),
  })
  .strict();

const MARK = '@@LAB-KUNIT@@';

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
  async run({ suite, kernel, ssh, consoleOnly, checks, log, console, saveArtifact }) {
    const p = Params.parse(suite.params);
    const trees: KtapTest[] = [];
    await checks.check('kunit_results_found', async () => {
      if (p.builtin_suites.length) {
        const boot = parseKtap(console());
        const names = boot.children.map((c) => c.name);
        const missing = p.builtin_suites.filter((s) => !names.includes(s));
        log(`built-in: ${names.join(', ') || 'none'} (${countLeaves(boot).total} cases)`);
        if (missing.length) throw new Error(`built-in KUnit suites missing from the boot log: ${missing.join(', ')} (is kunit.filter_glob right, is CONFIG_*_KUNIT_TEST=y?)`);
        // Every suite that ran is reported (the filter glob chose them), the named ones are required.
        trees.push(boot);
      }
      for (const m of p.modules) {
        // A test module the kernel was not built with is SKIP (with the symbol), not a failure.
        if (m.config && kernel.config.get(m.config) !== 'm' && kernel.config.get(m.config) !== 'y') {
          for (const s of m.suites) checks.addRecords([{ path: `${suite.name}.${s}`, name: s, status: 'SKIP', durationMs: 0, reason: `${m.config} is not set in this kernel` }]);
          continue;
        }
        if (consoleOnly) {
          for (const s of m.suites) checks.addRecords([{ path: `${suite.name}.${s}`, name: s, status: 'SKIP', durationMs: 0, reason: `${m.module} is loaded over SSH, and ${consoleOnly}` }]);
          continue;
        }
        // One round trip per module (load, every suite's results, unload): each exec is a fork and a
        // channel in a TCG guest, and a bisection pays them on every step.
        const reads = m.suites.map((s) => `echo ${MARK}${s}; cat ${shq(`/sys/kernel/debug/kunit/${s}/results`)} || echo ${MARK}unreadable`).join('; ');
        const r = await ssh.exec(`modprobe ${shq(m.module)} || exit 90; ${reads}; rmmod ${shq(m.module)}`);
        if (r.code === 90) throw new Error(`modprobe ${m.module} failed: ${r.stderr.trim()}`);
        const parts = splitMarked(r.stdout);
        for (const s of m.suites) {
          const text = parts.get(s);
          if (text === undefined || /^@@LAB-KUNIT@@unreadable$/m.test(text)) throw new Error(`cannot read /sys/kernel/debug/kunit/${s}/results: ${r.stderr.trim() || 'no such file'}`);
          saveArtifact(`kunit-${s}.ktap`, text);
          const tree = parseKtap(text);
          // debugfs holds one suite's KTAP at the top level: name the tree after the suite.
          trees.push(tree.children.length === 1 && tree.children[0]!.name === s ? tree : { name: '', status: tree.status, children: [{ ...tree, name: s }], log: [] });
          log(`${m.module}: ${s}: ${countLeaves(tree).total} cases`);
        }
      }
    });
    for (const t of trees) checks.addRecords(ktapRecords(t, suite.name));
  },
};

export default scenario;
