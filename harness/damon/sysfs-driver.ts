import { DAMON_ADMIN, type DamonConfig } from './config.js';
import { parseRejection, planDamonWrites, renderWriteScript } from './sysfs-plan.js';

/** Where DAMON sysfs scripts run: a guest over SSH, or a local shell against a fake tree in tests. */
export interface ScriptRunner {
  exec(script: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** A write the kernel refused, naming the sysfs file and the error (errno text). */
export class DamonSysfsError extends Error {
  constructor(readonly path: string, readonly error: string) {
    super(`DAMON sysfs rejected a write to ${path}: ${error}`);
    this.name = 'DamonSysfsError';
  }
}

export type KdamondCommand = 'on' | 'off' | 'commit' | 'update_schemes_stats' | 'update_schemes_tried_regions' | 'update_schemes_tried_bytes' | 'clear_schemes_tried_regions' | 'commit_schemes_quota_goals' | 'update_schemes_effective_quotas';

export interface DamonRegion {
  start: bigint;
  end: bigint;
  nrAccesses: number;
  age: number;
}

export interface DamonProbe {
  present: boolean;
  availOperations: string[];
}

/** The only code that writes DAMON sysfs: scenarios describe a DamonConfig and call this. */
export class DamonSysfs {
  constructor(private readonly runner: ScriptRunner, readonly root = DAMON_ADMIN) {}

  private async script(text: string): Promise<string> {
    const r = await this.runner.exec(text);
    const rejected = parseRejection(r.stdout);
    if (rejected) throw new DamonSysfsError(rejected.path, rejected.error);
    if (r.code !== 0) throw new Error(`DAMON sysfs script failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** What this kernel offers. avail_operations appears once a context exists, so one is made if needed. */
  async probe(): Promise<DamonProbe> {
    const kd = `${this.root}/kdamonds`;
    const out = await this.script(
      [
        `[ -d ${kd} ] || { echo ABSENT; exit 0; }`,
        `[ "$(cat ${kd}/nr_kdamonds)" -ge 1 ] || echo 1 > ${kd}/nr_kdamonds`,
        `[ "$(cat ${kd}/0/contexts/nr_contexts)" -ge 1 ] || echo 1 > ${kd}/0/contexts/nr_contexts`,
        `cat ${kd}/0/contexts/0/avail_operations`,
      ].join('\n'),
    );
    if (out.trim() === 'ABSENT') return { present: false, availOperations: [] };
    return { present: true, availOperations: out.trim().split(/\s+/).filter(Boolean) };
  }

  /** Writes the whole configuration in one script; a rejected file becomes a DamonSysfsError. */
  async apply(config: DamonConfig): Promise<void> {
    await this.script(renderWriteScript(planDamonWrites(config, this.root)));
  }

  async command(kdamond: number, cmd: KdamondCommand): Promise<void> {
    await this.script(renderWriteScript([{ path: `${this.root}/kdamonds/${kdamond}/state`, value: cmd }]));
  }

  async state(kdamond: number): Promise<string> {
    return (await this.status(kdamond)).state;
  }

  /** state and pid of a kdamond in one round trip (pid is -1 when it is not running). */
  async status(kdamond: number): Promise<{ state: string; pid: number }> {
    const dir = `${this.root}/kdamonds/${kdamond}`;
    const [state = '', pid = ''] = (await this.script(`cat ${dir}/state ${dir}/pid`)).trim().split('\n');
    return { state: state.trim(), pid: Number(pid.trim()) };
  }

  /** Reads a scheme's tried_regions after update_schemes_tried_regions; one script, one round trip. */
  async triedRegions(kdamond: number, context: number, scheme: number): Promise<DamonRegion[]> {
    const dir = `${this.root}/kdamonds/${kdamond}/contexts/${context}/schemes/${scheme}/tried_regions`;
    // read builtins, not cat: one fork per region file adds up under TCG.
    const out = await this.script(`for d in ${dir}/[0-9]*; do [ -d "$d" ] || continue; read -r s < "$d/start"; read -r e < "$d/end"; read -r n < "$d/nr_accesses"; read -r a < "$d/age"; echo "$s $e $n $a"; done; true`);
    return parseRegionLines(out);
  }
}

/** Pure: "start end nr_accesses age" lines into regions. */
export function parseRegionLines(text: string): DamonRegion[] {
  const regions: DamonRegion[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) continue;
    regions.push({ start: BigInt(f[0]!), end: BigInt(f[1]!), nrAccesses: Number(f[2]), age: Number(f[3]) });
  }
  return regions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}
