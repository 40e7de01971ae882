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

export interface DamonScheme {
  action: 'stat' | 'pageout' | 'hugepage' | 'nohugepage' | 'lru_prio' | 'lru_deprio' | 'migrate_hot' | 'migrate_cold' | 'willneed' | 'cold';
  accessPattern?: { sz?: Range; nrAccesses?: Range; age?: Range };
  applyIntervalUs?: number;
  targetNid?: number;
}

export interface DamonContext {
  operations: string;
  intervals?: { sampleUs: number; aggrUs: number; updateUs: number };
  nrRegions?: Range;
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
    accessPattern: { sz: { min: 0, max: U64_MAX }, nrAccesses: { min: 0, max: U32_MAX }, age: { min: 0, max: U32_MAX } },
  };
}
