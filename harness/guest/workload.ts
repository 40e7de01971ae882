import { z } from 'zod';
import type { GuestSsh } from './ssh-session.js';
import { shellJoin } from './shell-quote.js';

/** What hotcold prints once its memory is resident: the truth tests score DAMON against. */
export const HotcoldInfo = z.object({
  pid: z.number().int().positive(),
  ticker_pid: z.number().int(),
  start: z.number(),
  end: z.number(),
  hot_start: z.number(),
  hot_end: z.number(),
  page_size: z.number(),
  /** Physical ranges of the hot set, with --phys. */
  hot_phys: z.array(z.tuple([z.number(), z.number()])).optional(),
});

export interface HotcoldRun {
  pid: number;
  start: number;
  end: number;
  hotStart: number;
  hotEnd: number;
  /** Physical ranges of the hot set, sorted and merged (with phys: true). */
  hotPhys?: Array<[number, number]>;
  pageSize: number;
  /** Where the hot loop counts its passes over the hot set (with countFile). */
  countFile?: string;
}

/** Pure: sorted, merged ranges. */
export function mergeRanges(ranges: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Starts hotcold (daemonized: the call returns once its memory is resident and its ranges printed). */
export async function startHotcold(
  ssh: GuestSsh,
  o: {
    sizeMiB: number;
    hotMiB: number;
    hotOffsetMiB: number;
    phys?: boolean;
    file?: string;
    /** A guest file the hot loop keeps its pass count in (the workload's throughput). */
    countFile?: string;
    timeoutMs?: number;
  },
): Promise<HotcoldRun> {
  const argv = [
    'hotcold',
    '--daemon',
    '--size',
    String(o.sizeMiB),
    '--hot-size',
    String(o.hotMiB),
    '--hot-offset',
    String(o.hotOffsetMiB),
    ...(o.phys ? ['--phys'] : []),
    ...(o.file ? ['--file', o.file] : []),
    ...(o.countFile ? ['--count', o.countFile] : []),
  ];
  const r = await ssh.exec(`${shellJoin(argv)} </dev/null`, { timeoutMs: o.timeoutMs ?? 30000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.code !== 0 || !line) throw new Error(`hotcold failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  const info = HotcoldInfo.parse(JSON.parse(line));
  return {
    pid: info.pid,
    start: info.start,
    end: info.end,
    hotStart: info.hot_start,
    hotEnd: info.hot_end,
    ...(info.hot_phys ? { hotPhys: mergeRanges(info.hot_phys) } : {}),
    pageSize: info.page_size,
    ...(o.countFile ? { countFile: o.countFile } : {}),
  };
}

export async function stopWorkload(ssh: GuestSsh, pid: number): Promise<void> {
  await ssh.exec(`kill ${pid} 2>/dev/null; true`).catch(() => {});
}

/**
 * A busy loop on the workload's CPU: the workload and the loop are pinned to CPU 0 (taskset's mask 1), so the
 * scheduler gives the workload about half of it. The regression `lab ab` is shown to catch on purpose (a parameter
 * that halves the workload's CPU share); the loop's pid is returned for stopWorkload.
 */
export async function startCpuHog(ssh: GuestSsh, workloadPid: number): Promise<number> {
  const r = await ssh.exec(
    `taskset -p 1 ${workloadPid} >/dev/null && { taskset 1 sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $!; }`,
    { timeoutMs: 10000 },
  );
  const pid = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0)
    throw new Error(`could not start the CPU hog beside pid ${workloadPid} (exit ${r.code}): ${r.stderr.trim()}`);
  return pid;
}
