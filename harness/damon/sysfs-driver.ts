import { DAMON_ADMIN, type DamonConfig } from './config.js';
import { enabledUsers, READ_USERS_SCRIPT } from './in-kernel-users.js';
import { GOAL_METRICS, parseProbeOutput, type DamonProbe } from './sysfs-features.js';
import {
  parseRejection,
  planDamonWrites,
  readBackMismatches,
  readBackPaths,
  renderReadScript,
  renderWriteScript,
} from './sysfs-plan.js';

/** Where DAMON sysfs scripts run: a guest over SSH, or a local shell against a fake tree in tests. */
export interface ScriptRunner {
  exec(script: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** A write the kernel refused, naming the sysfs file and the error (errno text). */
export class DamonSysfsError extends Error {
  constructor(
    readonly path: string,
    readonly error: string,
  ) {
    super(`DAMON sysfs rejected a write to ${path}: ${error}`);
    this.name = 'DamonSysfsError';
  }
}

export type KdamondCommand =
  | 'on'
  | 'off'
  | 'commit'
  | 'update_schemes_stats'
  | 'update_schemes_tried_regions'
  | 'update_schemes_tried_bytes'
  | 'clear_schemes_tried_regions'
  | 'commit_schemes_quota_goals'
  | 'update_schemes_effective_quotas';

export interface DamonRegion {
  start: bigint;
  end: bigint;
  nrAccesses: number;
  age: number;
  /** Per data attributes probe: samples of the last aggregation interval that hit it (7.2+). */
  probeHits?: number[];
}

export type { DamonProbe } from './sysfs-features.js';

/** The only code that writes DAMON sysfs: scenarios describe a DamonConfig and call this. */
export class DamonSysfs {
  /** onProbe: told each probe() result (the run records what the kernel offers in summary.json). */
  constructor(
    private readonly runner: ScriptRunner,
    readonly root = DAMON_ADMIN,
    private readonly onProbe?: (p: DamonProbe) => void,
  ) {}

  private async script(text: string): Promise<string> {
    const r = await this.runner.exec(text);
    const rejected = parseRejection(r.stdout);
    if (rejected) throw new DamonSysfsError(rejected.path, rejected.error);
    if (r.code !== 0)
      throw new Error(`DAMON sysfs script failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /**
   * What this kernel offers, in one round trip: one scratch kdamond with one of everything (a target, a
   * scheme with a goal and filters, a data attributes probe with a filter), the files that exist under
   * its context, avail_operations, which goal metrics, tuners and probe filter types a write accepts, and
   * the in-kernel DAMON users running. Leaves one kdamond, off, for the caller's apply() to reshape.
   */
  async probe(): Promise<DamonProbe> {
    const kd = `${this.root}/kdamonds`;
    const ctx = `${kd}/0/contexts/0`;
    const s0 = `${ctx}/schemes/0`;
    const goal = `${s0}/quotas/goals/0`;
    const out = await this.script(
      [
        `[ -d ${kd} ] || { echo ABSENT; exit 0; }`,
        `echo 1 > ${kd}/nr_kdamonds || exit 1`,
        `echo 1 > ${kd}/0/contexts/nr_contexts || exit 1`,
        // Unquoted: avail_operations lists one name per line.
        `echo O $(cat ${ctx}/avail_operations)`,
        `{ echo 1 > ${ctx}/targets/nr_targets; echo 1 > ${ctx}/schemes/nr_schemes; echo 1 > ${s0}/quotas/goals/nr_goals; } 2>/dev/null`,
        `for d in filters core_filters ops_filters; do [ -d ${s0}/$d ] && echo 1 > ${s0}/$d/nr_filters; done 2>/dev/null`,
        `[ -d ${ctx}/monitoring_attrs/probes ] && { echo 1 > ${ctx}/monitoring_attrs/probes/nr_probes && echo 1 > ${ctx}/monitoring_attrs/probes/0/filters/nr_filters; } 2>/dev/null`,
        `(cd ${ctx} && find . ../../refresh_ms 2>/dev/null) | sed 's/^/P /'`,
        `for m in ${Object.keys(GOAL_METRICS).join(' ')}; do [ -e ${goal}/target_metric ] && { echo $m > ${goal}/target_metric; } 2>/dev/null && echo "M $m"; done`,
        `t=${s0}/quotas/goal_tuner; if [ -e $t ]; then echo "T $(cat $t)"; for x in consist temporal; do { echo $x > $t; } 2>/dev/null && echo "T $x"; done; fi`,
        `f=${ctx}/monitoring_attrs/probes/0/filters/0/type; [ -e $f ] && for x in anon memcg young addr; do { echo $x > $f; } 2>/dev/null && echo "F $x"; done`,
        `{ echo 0 > ${ctx}/schemes/nr_schemes; echo 0 > ${ctx}/targets/nr_targets; echo 0 > ${ctx}/monitoring_attrs/probes/nr_probes; } 2>/dev/null`,
        `{ ${READ_USERS_SCRIPT}; } | sed 's/^/U /'`,
        'true',
      ].join('\n'),
    );
    const probe = parseProbeOutput(out);
    this.onProbe?.(probe);
    return probe;
  }

  /**
   * Writes the whole configuration in one script (a rejected file becomes a DamonSysfsError naming it
   * and the errno), then reads every written file back in a second one and checks it.
   */
  async apply(config: DamonConfig): Promise<void> {
    const writes = planDamonWrites(config, this.root);
    await this.script(renderWriteScript(writes));
    const expected = readBackPaths(writes);
    const mismatches = readBackMismatches(expected, await this.script(renderReadScript(expected.map((e) => e.path))));
    if (mismatches.length) {
      const m = mismatches[0]!;
      throw new DamonSysfsError(
        m.path,
        `wrote '${m.wrote}' but it reads back '${m.read}'${mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : ''}`,
      );
    }
  }

  /**
   * Updates the current_value of user_input goals, then commit_schemes_quota_goals: one round trip per feedback step.
   */
  async feedGoals(
    kdamond: number,
    updates: ReadonlyArray<{ context: number; scheme: number; goal: number; currentValue: number }>,
  ): Promise<void> {
    const kd = `${this.root}/kdamonds/${kdamond}`;
    const writes = updates.map((u) => ({
      path: `${kd}/contexts/${u.context}/schemes/${u.scheme}/quotas/goals/${u.goal}/current_value`,
      value: String(Math.round(u.currentValue)),
    }));
    await this.script(renderWriteScript([...writes, { path: `${kd}/state`, value: 'commit_schemes_quota_goals' }]));
  }

  /** A scheme's stats after update_schemes_stats. */
  async schemeStats(kdamond: number, context: number, scheme: number): Promise<Record<string, number>> {
    const dir = `${this.root}/kdamonds/${kdamond}/contexts/${context}/schemes/${scheme}/stats`;
    await this.command(kdamond, 'update_schemes_stats');
    const out = await this.script(`for f in ${dir}/*; do read -r v < "$f"; echo "\${f##*/} $v"; done`);
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [k, v] = l.split(' ');
          return [k!, Number(v)];
        }),
    );
  }

  /**
   * Each scheme's effective quota (after update_schemes_effective_quotas) and its goals' current_value,
   * in one round trip. On 7.2 current_value reads back what was written for every metric but
   * user_input: the kernel keeps the value it computes to itself (see kernel-notes).
   */
  async quotaStatus(
    kdamond: number,
    context: number,
    nrSchemes: number,
  ): Promise<Array<{ effectiveBytes: number; goalCurrent: number[] }>> {
    const ctx = `${this.root}/kdamonds/${kdamond}/contexts/${context}`;
    const out = await this.script(
      [
        renderWriteScript([
          { path: `${this.root}/kdamonds/${kdamond}/state`, value: 'update_schemes_effective_quotas' },
        ]),
        `for s in $(seq 0 ${nrSchemes - 1}); do q=${ctx}/schemes/$s/quotas; read -r e < $q/effective_bytes; g=; for f in $q/goals/[0-9]*; do [ -d "$f" ] && { read -r v < $f/current_value; g="$g $v"; }; done; echo "Q $s $e$g"; done`,
      ].join('\n'),
    );
    return out
      .split('\n')
      .filter((l) => l.startsWith('Q '))
      .map((l) => {
        const [, , e, ...g] = l.trim().split(/\s+/);
        return { effectiveBytes: Number(e), goalCurrent: g.map(Number) };
      });
  }

  async command(kdamond: number, cmd: KdamondCommand): Promise<void> {
    await this.commandThen(kdamond, cmd, '');
  }

  /**
   * Writes a command to state, then runs `then` in the same script: one round trip where two would do
   * (each costs a shell start, about 0.1 s in a TCG guest). Its output is the script's.
   */
  private async commandThen(kdamond: number, cmd: KdamondCommand, then: string): Promise<string> {
    try {
      return await this.script(
        renderWriteScript([{ path: `${this.root}/kdamonds/${kdamond}/state`, value: cmd }]) + then,
      );
    } catch (e) {
      // EBUSY on 'on' is DAMON in use by an in-kernel user: name it rather than leave a bare errno.
      if (!(e instanceof DamonSysfsError) || cmd !== 'on' || !/busy/i.test(e.error)) throw e;
      const users = enabledUsers((await this.runner.exec(READ_USERS_SCRIPT)).stdout);
      if (!users.length) throw e;
      throw new DamonSysfsError(
        e.path,
        `${e.error}: DAMON is in use by the in-kernel ${users.join(', ')} (${users.map((u) => `${u}.enabled=Y`).join(', ')}); ` +
          `turn it off with ${users.map((u) => `${u}.enabled=N`).join(' ')} on the kernel command line, or give the suite damon_exclusive: true`,
      );
    }
  }

  /** Turns a kdamond on and reads back its state and pid, in one round trip. */
  async start(kdamond: number): Promise<{ state: string; pid: number }> {
    return parseStatus(await this.commandThen(kdamond, 'on', this.statusScript(kdamond)));
  }

  /** Turns a kdamond off and reads back its state, in one round trip. */
  async stop(kdamond: number): Promise<string> {
    return parseStatus(await this.commandThen(kdamond, 'off', this.statusScript(kdamond))).state;
  }

  /** update_schemes_tried_regions and the scheme's tried regions, in one round trip. */
  async snapshot(kdamond: number, context: number, scheme: number): Promise<DamonRegion[]> {
    return parseRegionLines(
      await this.commandThen(
        kdamond,
        'update_schemes_tried_regions',
        this.triedRegionsScript(kdamond, context, scheme),
      ),
    );
  }

  async state(kdamond: number): Promise<string> {
    return (await this.status(kdamond)).state;
  }

  /** state and pid of a kdamond in one round trip (pid is -1 when it is not running). */
  async status(kdamond: number): Promise<{ state: string; pid: number }> {
    return parseStatus(await this.script(this.statusScript(kdamond)));
  }

  private statusScript(kdamond: number): string {
    const dir = `${this.root}/kdamonds/${kdamond}`;
    return `read -r s < ${dir}/state; read -r p < ${dir}/pid; echo "LAB-STATUS $s $p"\n`;
  }

  /** Reads a scheme's tried_regions after update_schemes_tried_regions; one script, one round trip. */
  async triedRegions(kdamond: number, context: number, scheme: number): Promise<DamonRegion[]> {
    return parseRegionLines(await this.script(this.triedRegionsScript(kdamond, context, scheme)));
  }

  private triedRegionsScript(kdamond: number, context: number, scheme: number): string {
    const dir = `${this.root}/kdamonds/${kdamond}/contexts/${context}/schemes/${scheme}/tried_regions`;
    // read builtins, not cat: one fork per region file adds up under TCG.
    // Each region's data attributes probe hits follow its four numbers (7.2+, where probes are set).
    return `for d in ${dir}/[0-9]*; do [ -d "$d" ] || continue; read -r s < "$d/start"; read -r e < "$d/end"; read -r n < "$d/nr_accesses"; read -r a < "$d/age"; h=; for p in "$d"/probes/[0-9]*; do [ -d "$p" ] && { read -r x < "$p/hits"; h="$h $x"; }; done; echo "$s $e $n $a$h"; done; true`;
  }
}

/** Pure: state and pid from a status script's line (pid is -1 when the kdamond is not running). */
export function parseStatus(out: string): { state: string; pid: number } {
  const m = /^LAB-STATUS (\S*) (-?\d+)\s*$/m.exec(out);
  if (!m) throw new Error(`kdamond state and pid did not read back: ${out.trim().slice(0, 200)}`);
  return { state: m[1]!, pid: Number(m[2]) };
}

export function parseRegionLines(text: string): DamonRegion[] {
  const regions: DamonRegion[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !f.every((x) => /^\d+$/.test(x))) continue;
    regions.push({
      start: BigInt(f[0]!),
      end: BigInt(f[1]!),
      nrAccesses: Number(f[2]),
      age: Number(f[3]),
      ...(f.length > 4 ? { probeHits: f.slice(4).map(Number) } : {}),
    });
  }
  return regions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}
