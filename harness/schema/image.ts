import { z } from 'zod';

/** images/*.yaml: a root filesystem recipe (debootstrap). */
export const RootfsRecipeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    release: z
      .string()
      .regex(/^[a-z]+$/)
      .default('bookworm'),
    variant: z.enum(['minbase', 'buildd', 'fakechroot']).default('minbase'),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/)).default([]),
    size: z
      .string()
      .regex(/^\d+[MG]$/)
      .default('3G'),
  })
  .strict();

export type RootfsRecipe = z.output<typeof RootfsRecipeSchema>;
