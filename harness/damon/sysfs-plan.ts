import { DAMON_ADMIN, type DamonConfig, type DamonScheme, type Range } from './config.js';

/** One sysfs file write, in the order the kernel needs them (a count creates the directories below it). */
export interface SysfsWrite {
  path: string;
  value: string;
}

/** Pure: the ordered writes that put `config` into the DAMON sysfs tree rooted at `root`. */
export function planDamonWrites(config: DamonConfig, root = DAMON_ADMIN): SysfsWrite[] {
  const w: SysfsWrite[] = [];
  const put = (path: string, value: string | number) => w.push({ path, value: String(value) });
  const kd = `${root}/kdamonds`;
  put(`${kd}/nr_kdamonds`, config.kdamonds.length);
  config.kdamonds.forEach((k, ki) => {
    const cx = `${kd}/${ki}/contexts`;
    put(`${cx}/nr_contexts`, k.contexts.length);
    k.contexts.forEach((c, ci) => {
      const base = `${cx}/${ci}`;
      put(`${base}/operations`, c.operations);
      if (c.intervals) {
        const iv = `${base}/monitoring_attrs/intervals`;
        put(`${iv}/sample_us`, c.intervals.sampleUs);
        put(`${iv}/aggr_us`, c.intervals.aggrUs);
        put(`${iv}/update_us`, c.intervals.updateUs);
      }
      if (c.nrRegions) range(w, `${base}/monitoring_attrs/nr_regions`, c.nrRegions);
      put(`${base}/targets/nr_targets`, c.targets.length);
      c.targets.forEach((t, ti) => {
        const tb = `${base}/targets/${ti}`;
        if (t.pid !== undefined) put(`${tb}/pid_target`, t.pid);
        if (t.regions) {
          put(`${tb}/regions/nr_regions`, t.regions.length);
          t.regions.forEach((r, ri) => {
            put(`${tb}/regions/${ri}/start`, r.start);
            put(`${tb}/regions/${ri}/end`, r.end);
          });
        }
      });
      const schemes = c.schemes ?? [];
      put(`${base}/schemes/nr_schemes`, schemes.length);
      schemes.forEach((s, si) => schemeWrites(w, `${base}/schemes/${si}`, s));
    });
  });
  return w;
}

function range(w: SysfsWrite[], dir: string, r: Range): void {
  w.push({ path: `${dir}/min`, value: String(r.min) }, { path: `${dir}/max`, value: String(r.max) });
}

function schemeWrites(w: SysfsWrite[], dir: string, s: DamonScheme): void {
  w.push({ path: `${dir}/action`, value: s.action });
  if (s.applyIntervalUs !== undefined) w.push({ path: `${dir}/apply_interval_us`, value: String(s.applyIntervalUs) });
  if (s.targetNid !== undefined) w.push({ path: `${dir}/target_nid`, value: String(s.targetNid) });
  const ap = s.accessPattern;
  if (ap?.sz) range(w, `${dir}/access_pattern/sz`, ap.sz);
  if (ap?.nrAccesses) range(w, `${dir}/access_pattern/nr_accesses`, ap.nrAccesses);
  if (ap?.age) range(w, `${dir}/access_pattern/age`, ap.age);
}

/**
 * Pure: one POSIX sh script that performs the writes, stopping at the first one the kernel rejects and
 * printing "LAB-SYSFS-REJECTED <path>: <error>" so the caller can name the file and the errno.
 * One script per configuration keeps a whole setup to one SSH round trip.
 */
export function renderWriteScript(writes: readonly SysfsWrite[]): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Builtins only on the success path (no subshell per write): forks are slow in a TCG guest.
  const lines = [
    'set -u',
    'e=/tmp/.lab-sysfs-err.$$',
    // echo, not printf: busybox's printf builtin fails silently, its echo names the errno ("write error: Invalid argument").
    'w() { { echo "$2" > "$1"; } 2>"$e" || { m=; read -r m < "$e"; rm -f "$e"; echo "LAB-SYSFS-REJECTED $1: ${m##*: }"; exit 1; }; }',
  ];
  for (const { path, value } of writes) lines.push(`w ${q(path)} ${q(value)}`);
  lines.push('rm -f "$e"');
  return lines.join('\n') + '\n';
}

/** Pure: the path and error of a rejected write in the script's output, if any. */
export function parseRejection(output: string): { path: string; error: string } | undefined {
  const m = /LAB-SYSFS-REJECTED (\S+): (.*)/.exec(output);
  return m ? { path: m[1]!, error: m[2]!.trim() } : undefined;
}
