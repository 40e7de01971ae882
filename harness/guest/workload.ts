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
  o: { sizeMiB: number; hotMiB: number; hotOffsetMiB: number; phys?: boolean; file?: string; timeoutMs?: number },
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
  };
}

export async function stopWorkload(ssh: GuestSsh, pid: number): Promise<void> {
  await ssh.exec(`kill ${pid} 2>/dev/null; true`).catch(() => {});
}
