import { z } from 'zod';

/** Suite parameters shared by the DAMON scenarios: the hotcold workload's shape ... */
export const hotcoldParams = {
  // Bounded like every number from input: a guest's memory at most (1 TiB), an interval at most an hour.
  region_mib: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024),
  hot_mib: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024),
  hot_offset_mib: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024),
};

/** ... and DAMON's monitoring intervals. */
export const intervalParams = {
  sample_us: z.number().int().positive().max(3.6e9),
  aggr_us: z.number().int().positive().max(3.6e9),
  update_us: z.number().int().positive().max(3.6e9),
};
