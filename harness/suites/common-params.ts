import { z } from 'zod';

/** Suite parameters shared by the DAMON scenarios: the hotcold workload's shape ... */
export const hotcoldParams = {
  region_mib: z.number().int().positive(),
  hot_mib: z.number().int().positive(),
  hot_offset_mib: z.number().int().min(0),
};

/** ... and DAMON's monitoring intervals. */
export const intervalParams = {
  sample_us: z.number().int().positive(),
  aggr_us: z.number().int().positive(),
  update_us: z.number().int().positive(),
};
