import { DAMON_ADMIN, type DamonConfig, type DamonScheme, type Range } from './config.js';
import { shq } from '../guest/shell-quote.js';

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
      if (c.addrUnit !== undefined) put(`${base}/addr_unit`, c.addrUnit);
      if (c.probes) {
        const pb = `${base}/monitoring_attrs/probes`;
        put(`${pb}/nr_probes`, c.probes.length);
        c.probes.forEach((p, pi) => {
          if (p.weight !== undefined) put(`${pb}/${pi}/weight`, p.weight);
          put(`${pb}/${pi}/filters/nr_filters`, p.filters.length);
          p.filters.forEach((f, fi) => {
            const fb = `${pb}/${pi}/filters/${fi}`;
            put(`${fb}/type`, f.type);
            if (f.path !== undefined) put(`${fb}/path`, f.path);
            put(`${fb}/matching`, f.matching ? 'Y' : 'N');
            if (f.allow !== undefined) put(`${fb}/allow`, f.allow ? 'Y' : 'N');
          });
        });
      }
      if (c.pause !== undefined) put(`${base}/pause`, c.pause ? 'Y' : 'N');
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
  const put = (path: string, v: string | number) => w.push({ path: `${dir}/${path}`, value: String(v) });
  const q = s.quotas;
  if (q) {
    if (q.ms !== undefined) put('quotas/ms', q.ms);
    if (q.bytes !== undefined) put('quotas/bytes', q.bytes);
    if (q.resetIntervalMs !== undefined) put('quotas/reset_interval_ms', q.resetIntervalMs);
    if (q.weights) {
      put('quotas/weights/sz_permil', q.weights.szPermil);
      put('quotas/weights/nr_accesses_permil', q.weights.nrAccessesPermil);
      put('quotas/weights/age_permil', q.weights.agePermil);
    }
    if (q.goalTuner !== undefined) put('quotas/goal_tuner', q.goalTuner);
    if (q.goals) {
      put('quotas/goals/nr_goals', q.goals.length);
      q.goals.forEach((g, i) => {
        put(`quotas/goals/${i}/target_metric`, g.metric);
        put(`quotas/goals/${i}/target_value`, g.targetValue);
        if (g.currentValue !== undefined) put(`quotas/goals/${i}/current_value`, g.currentValue);
        if (g.nid !== undefined) put(`quotas/goals/${i}/nid`, g.nid);
        if (g.path !== undefined) put(`quotas/goals/${i}/path`, g.path);
      });
    }
  }
  const wm = s.watermarks;
  if (wm) {
    put('watermarks/metric', wm.metric);
    put('watermarks/interval_us', wm.intervalUs);
    put('watermarks/high', wm.high);
    put('watermarks/mid', wm.mid);
    put('watermarks/low', wm.low);
  }
  if (s.filters) {
    put('filters/nr_filters', s.filters.length);
    s.filters.forEach((f, i) => {
      put(`filters/${i}/type`, f.type);
      put(`filters/${i}/matching`, f.matching ? 'Y' : 'N');
      if (f.memcgPath !== undefined) put(`filters/${i}/memcg_path`, f.memcgPath);
      if (f.addrStart !== undefined) put(`filters/${i}/addr_start`, f.addrStart);
      if (f.addrEnd !== undefined) put(`filters/${i}/addr_end`, f.addrEnd);
      if (f.targetIdx !== undefined) put(`filters/${i}/damon_target_idx`, f.targetIdx);
    });
  }
}

/** Pure: the files whose content reads back as written (counts create directories; they read back too). */
export function readBackPaths(writes: readonly SysfsWrite[]): SysfsWrite[] {
  const last = new Map<string, string>();
  for (const w of writes) last.set(w.path, w.value);
  return [...last].map(([path, value]) => ({ path, value }));
}

/** Pure: a script printing "<path>\t<content>" for each file, in one round trip. */
export function renderReadScript(paths: readonly string[]): string {
  return paths.map((p) => `v=; read -r v < ${shq(p)} 2>/dev/null; printf '%s\t%s\n' ${shq(p)} "$v"`).join('\n') + '\n';
}

/** Pure: written values the kernel reads back differently (matching filters read back as Y/N). */
export function readBackMismatches(
  expected: readonly SysfsWrite[],
  output: string,
): Array<{ path: string; wrote: string; read: string }> {
  const got = new Map<string, string>();
  for (const line of output.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) got.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return expected
    .filter((e) => (got.get(e.path) ?? '<unreadable>') !== e.value)
    .map((e) => ({ path: e.path, wrote: e.value, read: got.get(e.path) ?? '<unreadable>' }));
}

/**
 * Pure: one POSIX sh script that performs the writes, stopping at the first one the kernel rejects and
 * printing "LAB-SYSFS-REJECTED <path>: <error>" so the caller can name the file and the errno.
 * One script per configuration keeps a whole setup to one SSH round trip.
 */
export function renderWriteScript(writes: readonly SysfsWrite[]): string {
  // Builtins only on the success path (no subshell per write): forks are slow in a TCG guest.
  const lines = [
    'set -u',
    'e=/tmp/.lab-sysfs-err.$$',
    // echo, not printf: busybox's printf builtin fails silently, its echo names the errno ("write error: Invalid
    // argument").
    'w() { { echo "$2" > "$1"; } 2>"$e" || { m=; read -r m < "$e"; rm -f "$e"; echo "LAB-SYSFS-REJECTED $1: ${m##*: }"; exit 1; }; }',
  ];
  for (const { path, value } of writes) lines.push(`w ${shq(path)} ${shq(value)}`);
  lines.push('rm -f "$e"');
  return lines.join('\n') + '\n';
}

/** Pure: the path and error of a rejected write in the script's output, if any. */
export function parseRejection(output: string): { path: string; error: string } | undefined {
  const m = /LAB-SYSFS-REJECTED (\S+): (.*)/.exec(output);
  return m ? { path: m[1]!, error: m[2]!.trim() } : undefined;
}
