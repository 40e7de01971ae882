import { z } from 'zod';
import type { GuestSsh } from './ssh-session.js';
import { shellJoin } from './shell-quote.js';

/** What hotcold prints once its memory is resident: the truth tests score DAMON against. */
export const HotcoldInfo = z.object({
  pid: z.number().int().positive(),
  start: z.number(),
  end: z.number(),
  hot_start: z.number(),
  hot_end: z.number(),
  page_size: z.number(),
});

export interface HotcoldRun {
  pid: number;
  start: number;
  end: number;
  hotStart: number;
  hotEnd: number;
}

/** Starts hotcold in the background and waits for its JSON line (it touches all its memory first). */
export async function startHotcold(ssh: GuestSsh, o: { sizeMiB: number; hotMiB: number; hotOffsetMiB: number; timeoutMs?: number }): Promise<HotcoldRun> {
  const out = `/tmp/hotcold-${Date.now()}.out`;
  const argv = ['hotcold', '--size', String(o.sizeMiB), '--hot-size', String(o.hotMiB), '--hot-offset', String(o.hotOffsetMiB)];
  await ssh.check(`${shellJoin(argv)} </dev/null >${out} 2>&1 &`);
  // One round trip: the guest waits for the JSON line itself (the workload first touches all its memory).
  const limit = Math.ceil((o.timeoutMs ?? 30000) / 50);
  const r = await ssh.exec(`i=0; until grep -q '^{' ${out} || grep -q '^hotcold:' ${out}; do i=$((i+1)); [ $i -gt ${limit} ] && break; usleep 50000; done; cat ${out}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    if (r.stdout.includes('hotcold:')) throw new Error(`hotcold failed: ${r.stdout.trim()}`);
    throw new Error(`hotcold printed no ranges within ${(o.timeoutMs ?? 30000) / 1000} s`);
  }
  const info = HotcoldInfo.parse(JSON.parse(line));
  return { pid: info.pid, start: info.start, end: info.end, hotStart: info.hot_start, hotEnd: info.hot_end };
}

export async function stopWorkload(ssh: GuestSsh, pid: number): Promise<void> {
  await ssh.exec(`kill ${pid} 2>/dev/null; true`).catch(() => {});
}
