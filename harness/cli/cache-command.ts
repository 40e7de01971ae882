import { dirname, join } from 'node:path';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../util/errors.js';
import { escapeControls } from '../report/control-bytes.js';
import { CACHE_AREAS, cacheAreas, diskUsage, humanBytes } from '../cache/disk-usage.js';
import { planPrune, removeWorktrees, scanWorktrees, type WorktreeEntry } from '../cache/worktree-prune.js';

const out = (line: string) => process.stdout.write(escapeControls(line) + '\n');
const err = (line: string) => process.stderr.write(escapeControls(line) + '\n');

const DEFAULT_DAYS = 14;

function when(ms: number): string {
  return ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : 'never';
}

function describe(e: WorktreeEntry): string {
  const of = e.repo ? ` of ${e.repo}` : ' (its repository unknown)';
  if (e.kind === 'slot') return `build slot${of}`;
  if (e.kind === 'apply') return `the worktree series are applied in${of}`;
  if (e.kind === 'bisect') return `lab bisect's state${of}`;
  return `an earlier lab's worktree of series ${e.name}${of}`;
}

/** `lab cache`: what the cache holds and how big, and `lab cache prune` for the worktrees that grow without bound. */
export function cacheCommands(): Record<string, Command> {
  return {
    cache: {
      summary: 'what the cache holds (and how big); prune the kernel worktrees and build directories no build uses',
      help: [
        'usage: lab cache [du]',
        `       lab cache prune [--older-than DAYS] [--all] [--dry-run]`,
        '  du     each folder of $LAB_CACHE with its size and what it is, then every worktree (build slots, the apply',
        '         scratch, bisect state, an earlier lab’s per-series worktrees) with its size and last use',
        '  prune  removes an earlier lab’s per-series worktrees, and slots, the apply scratch and bisect state unused',
        `         for DAYS (default ${DEFAULT_DAYS}; --all: every one), a repository at a time under its build lock (one`,
        '         a build holds is skipped and said); the next build in a removed slot builds the tree whole again,',
        '         with ccache. Artifacts, sources and snapshots stay (snapshots are evicted by use already).',
      ].join('\n'),
      options: {
        'older-than': { type: 'string' },
        all: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
      async run(v, p, { cache }) {
        const [sub = 'du', ...rest] = p;
        if (rest.length) throw new UsageError(`lab cache ${sub}: unexpected ${rest.join(' ')}`);
        if (sub === 'du') {
          if (v['older-than'] !== undefined || v.all || v['dry-run'])
            throw new UsageError('--older-than, --all and --dry-run go with lab cache prune');
          await showUsage(cache);
          return ExitCode.ok;
        }
        if (sub !== 'prune') throw new UsageError(`lab cache: no subcommand ${sub} (du, prune)`);
        const raw = v['older-than'];
        const days = raw === undefined ? DEFAULT_DAYS : Number(raw);
        if (!(Number.isFinite(days) && days >= 0))
          throw new UsageError(`--older-than ${String(raw)}: a number of days, 0 or more`);
        const choices = planPrune(scanWorktrees(cache), { now: Date.now(), olderThanDays: days, all: v.all === true });
        if (!choices.length) {
          const none = v.all === true ? 'no worktree at all' : `no worktree unused for ${days} days`;
          out(`nothing to prune in ${join(cache, 'worktrees')} (${none})`);
          return ExitCode.ok;
        }
        const sizes = await diskUsage(choices.map((c) => c.entry.path));
        let total = 0;
        for (const c of choices) total += sizes.get(c.entry.path) ?? 0;
        if (v['dry-run']) {
          for (const c of choices)
            out(`would remove ${c.entry.path} (${humanBytes(sizes.get(c.entry.path) ?? 0)}): ${c.why}`);
          out(`would free about ${humanBytes(total)}`);
          return ExitCode.ok;
        }
        const { removed, skipped } = await removeWorktrees(choices, err);
        let freed = 0;
        for (const { entry, why } of removed) {
          freed += sizes.get(entry.path) ?? 0;
          out(`removed ${entry.path} (${humanBytes(sizes.get(entry.path) ?? 0)}): ${why}`);
        }
        out(`freed about ${humanBytes(freed)}${skipped.length ? `; ${skipped.length} skipped (in use)` : ''}`);
        return ExitCode.ok;
      },
    },
  };
}

async function showUsage(cache: string): Promise<void> {
  const areas = cacheAreas(cache);
  const trees = scanWorktrees(cache);
  // One du for all (a few seconds for a large cache): it counts a file once per call, so the worktrees folder is
  // not asked beside its own entries but summed from them and the lab's state folders.
  const states = [...new Set(trees.map((e) => join(dirname(e.path), '.lab')))];
  const asked = [...areas.filter((a) => a !== 'worktrees').map((a) => join(cache, a)), ...trees.map((e) => e.path)];
  const sizes = await diskUsage([...asked, ...states]);
  const size = (p: string) => sizes.get(p) ?? 0;
  const areaSize = (a: string) =>
    a === 'worktrees'
      ? [...trees.map((e) => e.path), ...states].reduce((n, p) => n + size(p), 0)
      : size(join(cache, a));
  const total = areas.reduce((n, a) => n + areaSize(a), 0);
  out(`${cache}: ${humanBytes(total)}`);
  for (const a of areas) out(`  ${a.padEnd(10)} ${humanBytes(areaSize(a)).padStart(9)}  ${CACHE_AREAS[a] ?? ''}`);
  if (!trees.length) return;
  out('worktrees:');
  for (const e of trees)
    out(
      `  ${humanBytes(size(e.path)).padStart(9)}  used ${when(e.lastUsed)}  ${e.path.slice(cache.length + 1)}: ${describe(e)}`,
    );
}
