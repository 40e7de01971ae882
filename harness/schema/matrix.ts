import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/);

/**
 * One kernel of the matrix: a Debian prebuilt kernel (`debian` is the default one; debian-6.12,
 * debian-7.2, debian-7.3), or a series, optionally with extra config fragments.
 */
const KernelAxis = z.union([
  z.string().regex(/^debian(-[0-9]+\.[0-9]+)?$/, 'debian, debian-6.12, debian-7.2, debian-7.3 or {series: ...}'),
  // Names and paths only: they end up in generated CI files and file names.
  z
    .object({
      series: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'a series name or path'),
      configs: z.array(z.string().regex(/^[A-Za-z0-9._/-]+$/, 'a fragment name or path')).default([]),
    })
    .strict(),
]);

/** A partial cell: include adds it (every field needed), exclude drops every cell it matches. */
const CellMatch = z
  .object({ kernel: z.string().optional(), guest: z.string().optional(), suite: z.string().optional() })
  .strict();

/** matrix.yaml: kernels × guests × suites, with include/exclude rules, per-cell timeouts and retries. */
export const MatrixSpecSchema = z
  .object({
    name,
    description: z.string().optional(),
    kernels: z.array(KernelAxis).min(1),
    guests: z.array(z.string().min(1)).min(1),
    suites: z.array(z.string().min(1)).min(1),
    include: z.array(z.object({ kernel: z.string(), guest: z.string(), suite: z.string() }).strict()).default([]),
    exclude: z.array(CellMatch).default([]),
    /** Seconds a cell may take (boot, suite, shutdown), after its kernel is built. */
    timeout: z.number().positive().max(86400).default(900),
    /** Extra attempts of a cell that ended in an infrastructure error (exit 3). */
    retries: z.number().int().min(0).max(5).default(1),
    /**
     * Runs of each cell. With several on both sides of a baseline comparison, every metric is compared as `lab ab`
     * does (medians, B/A with a bootstrap interval, a rank test) and a regression past the threshold fails the cell;
     * the runs go round-robin over the cells, so the host's drift falls on every kernel alike.
     */
    runs: z.number().int().min(1).max(50).default(1),
    /**
     * libvirt hosts of the lab config's inventory to run the cells on (each cell goes to a host that
     * meets its suite's requires:); empty: the local QEMU pool.
     */
    hosts: z.array(name).default([]),
    /**
     * A kernel of this matrix (its id, as cells name it) the others are compared with: each other
     * kernel's cell against the baseline kernel's cell of the same guest and suite, status changes and
     * metrics side by side (a series against the tree it is based on).
     */
    baseline: z.string().optional(),
    /** Per-cell overrides, matched like exclude rules. */
    overrides: z
      .array(
        CellMatch.extend({
          timeout: z.number().positive().max(86400).optional(),
          retries: z.number().int().min(0).max(5).optional(),
          runs: z.number().int().min(1).max(50).optional(),
        }).strict(),
      )
      .default([]),
  })
  .strict();

export type MatrixSpec = z.output<typeof MatrixSpecSchema>;
export type KernelAxisSpec = z.output<typeof KernelAxis>;
