/** Pure pieces of the tiering scenario: reading numa_maps and judging convergence. */

/** Pages per NUMA node of the mappings that overlap [start, end) in a /proc/<pid>/numa_maps text. */
export function nodePages(numaMaps: string, start: number, end: number): Map<number, number> {
  const pages = new Map<number, number>();
  for (const line of numaMaps.split('\n')) {
    const addr = Number.parseInt(line.split(' ')[0] ?? '', 16);
    if (!Number.isFinite(addr) || addr < start || addr >= end) continue;
    for (const m of line.matchAll(/\bN(\d+)=(\d+)/g))
      pages.set(Number(m[1]), (pages.get(Number(m[1])) ?? 0) + Number(m[2]));
  }
  return pages;
}

/** Share of pages on `node` in basis points (0 when there are none). */
export function shareBp(pages: ReadonlyMap<number, number>, node: number): number {
  const total = [...pages.values()].reduce((a, b) => a + b, 0);
  return total ? Math.round(((pages.get(node) ?? 0) * 10000) / total) : 0;
}

export interface Convergence {
  /** Seconds until the share entered the band and stayed there for the rest of the run; undefined if never. */
  convergeSeconds?: number;
  /**
   * Over the samples after convergence (or the last half when it never converged): mean |error| and stddev, in
   * percentage points.
   */
  meanErrorPp: number;
  stddevPp: number;
  samples: number;
}

/** Pure: convergence of (seconds, share %) samples to target % within ±band percentage points. */
export function judgeConvergence(
  samples: ReadonlyArray<[number, number]>,
  targetPct: number,
  bandPp: number,
): Convergence {
  let from = samples.length;
  for (let i = samples.length - 1; i >= 0; i--) {
    if (Math.abs(samples[i]![1] - targetPct) <= bandPp) from = i;
    else break;
  }
  const converged = from < samples.length && from < samples.length - 1;
  const steady = converged ? samples.slice(from) : samples.slice(Math.floor(samples.length / 2));
  const errors = steady.map(([, v]) => v - targetPct);
  const mean = errors.reduce((a, b) => a + Math.abs(b), 0) / (errors.length || 1);
  const avg = steady.reduce((a, [, v]) => a + v, 0) / (steady.length || 1);
  const sd = Math.sqrt(steady.reduce((a, [, v]) => a + (v - avg) ** 2, 0) / (steady.length || 1));
  return {
    ...(converged ? { convergeSeconds: samples[from]![0] } : {}),
    meanErrorPp: Math.round(mean * 100) / 100,
    stddevPp: Math.round(sd * 100) / 100,
    samples: steady.length,
  };
}

/** How the tiering suite sets its goals, by what the kernel offers. */
export type TieringGoal = 'node_eligible_mem_bp' | 'node_sys_bp' | 'node_mem_used_bp' | 'user_input';

/**
 * Pure: the goal variant to use. auto: the kernel's own per-node eligible-memory metric where it has one
 * (node_eligible_mem_bp, mainline 7.2; node_sys_bp where the RFC is applied), else user_input fed by the
 * lab. A variant asked for by name that the kernel lacks is a SKIP with the reason (the returned string).
 */
export function chooseTieringGoal(
  asked: 'auto' | 'native' | TieringGoal,
  metrics: readonly string[],
  goalNid: boolean,
): TieringGoal | { skip: string } {
  const has = (m: string) => metrics.includes(m) && (m === 'user_input' || goalNid);
  const native = (['node_eligible_mem_bp', 'node_sys_bp'] as const).find(has);
  if (asked === 'auto') return native ?? 'user_input';
  if (asked === 'native')
    return (
      native ?? {
        skip: `this kernel has no native per-node goal metric (node_eligible_mem_bp, Linux 7.2+, or node_sys_bp from the RFC); it has ${metrics.join(', ') || 'none'}`,
      }
    );
  return has(asked)
    ? asked
    : {
        skip: `this kernel has no quota goal metric ${asked}${asked === 'node_mem_used_bp' ? ' (Linux 6.16+)' : ''} with a goal nid; it has ${metrics.join(', ') || 'none'}`,
      };
}

/**
 * Pure: the node_mem_used_bp target that holds the workload's share of node 0 at `targetBp`: what the
 * rest of the system uses on node 0 stays, the workload's part moves to its target. Values in bytes.
 */
export function nodeUsedTargetBp(
  node: { totalBytes: number; usedBytes: number },
  workload: { onNodeBytes: number; totalBytes: number },
  targetBp: number,
): number {
  const others = Math.max(0, node.usedBytes - workload.onNodeBytes);
  const want = others + (workload.totalBytes * targetBp) / 10000;
  return Math.max(0, Math.min(10000, Math.round((want * 10000) / node.totalBytes)));
}

/** Pure: MemTotal and MemUsed (bytes) from /sys/devices/system/node/nodeN/meminfo. */
export function parseNodeMeminfo(text: string): { totalBytes: number; usedBytes: number } {
  return { totalBytes: meminfoBytes(text, 'MemTotal'), usedBytes: meminfoBytes(text, 'MemUsed') };
}

/** A "Name:   N kB" field of a (node) meminfo text in bytes; NaN when absent. */
function meminfoBytes(text: string, name: string): number {
  return Number(new RegExp(`\\b${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) * 1024;
}

/**
 * Pure: bytes on a node's LRU lists (active, inactive, unevictable) from its meminfo. That is the memory
 * node_eligible_mem_bp counts (damos_calc_eligible_bytes() walks the scheme's eligible regions and counts
 * every folio damon_get_folio() returns, i.e. every folio on an LRU list), so with schemes whose access
 * pattern takes every region, node 0's share of LRU memory is the very quantity the goals hold.
 */
export function nodeLruBytes(text: string): number {
  return meminfoBytes(text, 'Active') + meminfoBytes(text, 'Inactive') + meminfoBytes(text, 'Unevictable');
}

/**
 * Pure: each NUMA node's physical address range, [start, end) in bytes, from /proc/zoneinfo (each zone's
 * start_pfn and spanned pages; a node spans from its first zone's start to its last zone's end). Zones
 * that span nothing are left out.
 */
export function nodePhysRanges(zoneinfo: string, pageSize = 4096): Map<number, { start: bigint; end: bigint }> {
  const out = new Map<number, { start: bigint; end: bigint }>();
  let node: number | undefined;
  let spanned: bigint | undefined;
  for (const line of zoneinfo.split('\n')) {
    const head = /^Node (\d+), zone\s+\S+/.exec(line);
    if (head) {
      node = Number(head[1]);
      spanned = undefined;
      continue;
    }
    const sp = /^\s+spanned\s+(\d+)/.exec(line);
    if (sp) spanned = BigInt(sp[1]!);
    const st = /^\s+start_pfn:\s+(\d+)/.exec(line);
    if (st && node !== undefined && spanned !== undefined && spanned > 0n) {
      const start = BigInt(st[1]!) * BigInt(pageSize);
      const end = start + spanned * BigInt(pageSize);
      const cur = out.get(node);
      out.set(
        node,
        cur ? { start: cur.start < start ? cur.start : start, end: cur.end > end ? cur.end : end } : { start, end },
      );
    }
  }
  return out;
}
