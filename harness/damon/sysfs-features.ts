import { enabledUsers } from './in-kernel-users.js';

/**
 * What a kernel's DAMON sysfs offers, as the files that exist under a scratch kdamond's context (one
 * of everything made: a target, a scheme with a goal and filters, a data attributes probe with a
 * filter). Each optional feature is named by the file that shows it and the release that added it, so
 * a suite that needs one it lacks is SKIP with the exact reason. Recorded real trees of Debian's 6.12,
 * 7.2 and 7.3 are in test/fixtures/damon-sysfs/.
 */
export const DAMON_FEATURES = {
  addrUnit: { path: 'addr_unit', since: '6.18', what: 'the address unit of physical address monitoring' },
  intervalsGoal: {
    path: 'monitoring_attrs/intervals/intervals_goal',
    since: '6.15',
    what: 'auto-tuned monitoring intervals',
  },
  regionSz: { path: 'monitoring_attrs/region_sz', since: 'a series (not in mainline)', what: 'region size limits' },
  probes: { path: 'monitoring_attrs/probes', since: '7.2', what: 'data attributes monitoring (probes)' },
  probeWeight: { path: 'monitoring_attrs/probes/0/weight', since: '7.3', what: 'probe weights' },
  pause: { path: 'pause', since: '7.2', what: 'pausing a context' },
  perfEvents: { path: 'perf_events', since: 'a series (not in mainline)', what: 'perf-event access checks' },
  targetNid: { path: 'schemes/0/target_nid', since: '6.11', what: 'migration target nodes' },
  dests: { path: 'schemes/0/dests', since: '6.17', what: 'multiple migration destinations' },
  coreFilters: { path: 'schemes/0/core_filters', since: '6.18', what: 'core and ops filter directories' },
  goalNid: { path: 'schemes/0/quotas/goals/0/nid', since: '6.16', what: 'per-node quota goals' },
  goalPath: { path: 'schemes/0/quotas/goals/0/path', since: '6.19', what: 'memory cgroup quota goals' },
  goalTuner: { path: 'schemes/0/quotas/goal_tuner', since: '7.1', what: 'quota goal tuners' },
  refreshMs: { path: '../../refresh_ms', since: '6.17', what: 'periodic refresh of kdamond stats' },
} as const;

export type DamonFeature = keyof typeof DAMON_FEATURES;

/** Quota goal metrics with the release that added each (node_sys_bp only where the tiering RFC is applied). */
export const GOAL_METRICS = {
  user_input: '6.8',
  some_mem_psi_us: '6.9',
  node_mem_used_bp: '6.16',
  node_mem_free_bp: '6.16',
  node_memcg_used_bp: '6.19',
  node_memcg_free_bp: '6.19',
  active_mem_bp: '7.0',
  inactive_mem_bp: '7.0',
  node_eligible_mem_bp: '7.2',
  node_sys_bp: 'the node_sys_bp RFC',
} as const;

export interface DamonProbe {
  present: boolean;
  availOperations: string[];
  features: Record<DamonFeature, boolean>;
  /** Quota goal metrics this kernel accepts (each written to a scratch goal). */
  goalMetrics: string[];
  /** Goal tuners this kernel accepts (quotas/goal_tuner), the default first. */
  goalTuners: string[];
  /** Data attribute probe filter types this kernel accepts. */
  probeFilterTypes: string[];
  /** In-kernel DAMON users running now (damon_stat, damon_reclaim, damon_lru_sort): a kdamond gets EBUSY. */
  inKernelUsers: string[];
}

export const ABSENT_PROBE: DamonProbe = {
  present: false,
  availOperations: [],
  features: featuresFromPaths([]),
  goalMetrics: [],
  goalTuners: [],
  probeFilterTypes: [],
  inKernelUsers: [],
};

/** Pure: the features shown by the files that exist (paths relative to the scratch context). */
export function featuresFromPaths(paths: readonly string[]): Record<DamonFeature, boolean> {
  const have = new Set(paths.map((p) => p.replace(/^\.\//, '')));
  return Object.fromEntries(Object.entries(DAMON_FEATURES).map(([k, f]) => [k, have.has(f.path)])) as Record<
    DamonFeature,
    boolean
  >;
}

/**
 * Pure: the probe script's output ("P path", "O ops...", "M metric", "T tuner", "F filter type",
 * "U module Y|N" lines) as a DamonProbe.
 */
export function parseProbeOutput(out: string): DamonProbe {
  if (out.trim() === 'ABSENT') return ABSENT_PROBE;
  const lines = out.split('\n');
  const tagged = (tag: string) =>
    lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1).trim());
  return {
    present: true,
    availOperations: (tagged('O')[0] ?? '').split(/\s+/).filter(Boolean),
    features: featuresFromPaths(tagged('P')),
    goalMetrics: tagged('M'),
    // The current tuner is listed first, then every one a write accepts: each once, the default first.
    goalTuners: [...new Set(tagged('T'))],
    probeFilterTypes: tagged('F'),
    inKernelUsers: enabledUsers(tagged('U').join('\n')),
  };
}

/** Why a suite that needs `feature` cannot run on this kernel (for SkipCheck), or undefined when it can. */
export function missingFeature(probe: DamonProbe, feature: DamonFeature): string | undefined {
  if (probe.features[feature]) return undefined;
  const f = DAMON_FEATURES[feature];
  return `this kernel's DAMON sysfs has no ${f.path.replace(/^\.\.\/\.\.\//, 'kdamonds/N/')} (${f.what}; Linux ${f.since})`;
}

/** Why a quota goal metric cannot be used here, or undefined when the kernel accepts it. */
export function missingGoalMetric(probe: DamonProbe, metric: string): string | undefined {
  if (probe.goalMetrics.includes(metric)) return undefined;
  const since = (GOAL_METRICS as Record<string, string>)[metric];
  return `this kernel has no quota goal metric ${metric}${since ? ` (${since.startsWith('the') ? since : `Linux ${since}+`})` : ''}; it has ${probe.goalMetrics.join(', ') || 'none'}`;
}
