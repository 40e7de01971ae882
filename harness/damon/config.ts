/**
 * A DAMON configuration as the lab's scenarios describe it. One value of this type is written to
 * /sys/kernel/mm/damon/admin by the sysfs driver and read back to verify.
 */
export const DAMON_ADMIN = '/sys/kernel/mm/damon/admin';

export const U64_MAX = '18446744073709551615';
export const U32_MAX = '4294967295';

export interface Range {
  min: number | string;
  max: number | string;
}

export interface DamonTarget {
  pid?: number;
  /** Fixed monitoring regions (paddr), [start, end) in bytes. */
  regions?: Array<{ start: number | string; end: number | string }>;
}

/**
 * A quota goal: the metric names are the kernel's (user_input, some_mem_psi_us; node_sys_bp etc. where a series adds
 * them).
 */
export interface DamonQuotaGoal {
  metric: string;
  targetValue: number;
  /** For user_input goals: the value the lab measured and feeds each interval. */
  currentValue?: number;
  /** NUMA node of node_* metrics (kernels that have goals/N/nid). */
  nid?: number;
  /** Memory cgroup path of node_memcg_* metrics (goals/N/path, 6.19+). */
  path?: string;
}

export interface DamonQuotas {
  ms?: number;
  bytes?: number;
  resetIntervalMs?: number;
  weights?: { szPermil: number; nrAccessesPermil: number; agePermil: number };
  goals?: DamonQuotaGoal[];
  /** How the effective quota follows the goals (quotas/goal_tuner, 7.1+): consist (the default) or temporal. */
  goalTuner?: string;
}

export interface DamonWatermarks {
  metric: 'none' | 'free_mem_rate';
  intervalUs: number;
  high: number;
  mid: number;
  low: number;
}

export interface DamonFilter {
  type: 'anon' | 'memcg' | 'young' | 'addr' | 'target';
  matching: boolean;
  memcgPath?: string;
  addrStart?: number | string;
  addrEnd?: number | string;
  targetIdx?: number;
}

export interface DamonScheme {
  action:
    | 'stat'
    | 'pageout'
    | 'hugepage'
    | 'nohugepage'
    | 'lru_prio'
    | 'lru_deprio'
    | 'migrate_hot'
    | 'migrate_cold'
    | 'willneed'
    | 'cold';
  accessPattern?: { sz?: Range; nrAccesses?: Range; age?: Range };
  applyIntervalUs?: number;
  targetNid?: number;
  quotas?: DamonQuotas;
  watermarks?: DamonWatermarks;
  filters?: DamonFilter[];
}

/** A data attributes probe (monitoring_attrs/probes/N, 7.2+): counts sampled accesses its filters pass. */
export interface DamonAttrProbe {
  /** Filters of the probe; 7.2 has types anon and memcg (a memcg filter names its cgroup path). */
  filters: Array<{ type: 'anon' | 'memcg'; matching: boolean; allow?: boolean; path?: string }>;
  /** probes/N/weight (7.3+). */
  weight?: number;
}

export interface DamonContext {
  operations: string;
  intervals?: { sampleUs: number; aggrUs: number; updateUs: number };
  nrRegions?: Range;
  /** Data attributes monitoring probes (7.2+). */
  probes?: DamonAttrProbe[];
  /** Pause the context without stopping its kdamond (contexts/N/pause, 7.2+). */
  pause?: boolean;
  /** contexts/N/addr_unit (6.18+): bytes per address unit of paddr. */
  addrUnit?: number;
  targets: DamonTarget[];
  schemes?: DamonScheme[];
}

export interface DamonKdamond {
  contexts: DamonContext[];
}

export interface DamonConfig {
  kdamonds: DamonKdamond[];
}

/** A scheme that matches every region, for reading the monitoring results via tried_regions. */
export function statEverything(): DamonScheme {
  return {
    action: 'stat',
    accessPattern: {
      sz: { min: 0, max: U64_MAX },
      nrAccesses: { min: 0, max: U32_MAX },
      age: { min: 0, max: U32_MAX },
    },
  };
}
