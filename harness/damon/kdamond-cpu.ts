import type { ScriptRunner } from './sysfs-driver.js';

/**
 * What a kdamond costs in CPU: its utime + stime from /proc/PID/stat over a window of wall time. The
 * number a series claiming "no slowdown of the ordinary path" is judged by, compared between kernels
 * in the same guest and under the same workload (under TCG the absolute value is the emulator's, the
 * ratio between kernels is what means something).
 */
export interface CpuSample {
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Ticks per second (getconf CLK_TCK). */
  hz: number;
  /** Guest monotonic seconds (/proc/uptime) when read. */
  uptime: number;
  /** The workload's passes over its hot set so far (hotcold --count), when asked for. */
  passes?: number;
}

/** Pure: utime + stime (fields 14 and 15) of a /proc/PID/stat line; the comm field may hold spaces and parentheses. */
export function statCpuTicks(stat: string): number {
  const rest = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rest.length < 13)
    throw new Error(`not a /proc/PID/stat line: ${stat.slice(0, 120)}`);
  return utime + stime;
}

/** Pure: the share of one CPU used between two samples, in percent. */
export function cpuPercent(a: CpuSample, b: CpuSample): number {
  const wall = b.uptime - a.uptime;
  if (wall <= 0) throw new Error('CPU samples out of order');
  return ((b.ticks - a.ticks) / a.hz / wall) * 100;
}

/**
 * Pure: the workload's accesses per second between two samples: passes over the hot set times the pages each
 * pass writes, over the guest's wall time.
 */
export function accessesPerSecond(a: CpuSample, b: CpuSample, pagesPerPass: number): number {
  const wall = b.uptime - a.uptime;
  if (a.passes === undefined || b.passes === undefined) throw new Error('no pass counts sampled');
  if (wall <= 0) throw new Error('samples out of order');
  return ((b.passes - a.passes) * pagesPerPass) / wall;
}

/**
 * One round trip: the kdamond's CPU ticks, the tick rate and the guest's uptime (and, given hotcold's count file,
 * its passes: read in the same command, so both are over the same window).
 */
export async function sampleKdamondCpu(runner: ScriptRunner, pid: number, countFile?: string): Promise<CpuSample> {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no kdamond running (pid ${pid})`);
  if (countFile !== undefined && !/^\/[\w./-]+$/.test(countFile))
    throw new Error(`not a count file path: ${countFile}`);
  // /proc times are in USER_HZ clock ticks: 100 on x86, where getconf is absent (busybox guests).
  const r = await runner.exec(
    `cat /proc/${pid}/stat && { getconf CLK_TCK 2>/dev/null || echo 100; } && cat /proc/uptime${countFile ? ` && cat ${countFile}` : ''}`,
  );
  if (r.code !== 0) throw new Error(`reading /proc/${pid}/stat failed (exit ${r.code}): ${r.stderr.trim()}`);
  const [stat = '', hz = '', uptime = '', passes] = r.stdout.trim().split('\n');
  return {
    ticks: statCpuTicks(stat),
    hz: Number(hz),
    uptime: Number(uptime.split(' ')[0]),
    ...(countFile ? { passes: Number(passes?.trim()) } : {}),
  };
}
