import { z } from 'zod';

const configSymbol = z.string().regex(/^CONFIG_[A-Za-z0-9_]+$/, 'must be a CONFIG_ symbol');

/** Where a series' patches come from: an mbox (as `b4 am` writes it), a format-patch folder, or a git range. */
const PatchSource = z.union([
  z.object({ mbox: z.string().min(1) }).strict(),
  z.object({ dir: z.string().min(1) }).strict(),
  // Never an option: a range that started with '-' reached git as one (--output=FILE emptied a file).
  z
    .object({
      range: z
        .string()
        .regex(/^[^\s-][^\s]*\.\.[^\s]+$/, "a git range such as 'v6.12..my-branch' (not starting with '-')"),
    })
    .strict(),
]);

/** kernel/series/*.yaml: a kernel to build, from a base plus patches plus config fragments. */
export const SeriesSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    description: z.string().optional(),
    /** "debian" (Debian's linux-source-6.12), or a commit-ish in the --tree repository. */
    base: z.string().min(1).default('debian'),
    /**
     * The Debian source a commit `base` lives in, without --tree (debian-6.12, debian-7.2, ...): what the
     * series that bisect and patchcheck write for their steps say, their base being a commit of it.
     */
    source: z
      .string()
      .regex(/^debian(-[0-9]+\.[0-9]+)?$/, 'a Debian source id such as debian-7.2')
      .optional(),
    patches: PatchSource.optional(),
    /**
     * Base config: "lab" (allnoconfig + kernel/configs/lab-base.config, small and quick, SSH over
     * virtio-net), "lab-console" (allnoconfig + lab-console.config: serial console only, for KUnit at
     * boot; suites that need SSH SKIP on it) or "defconfig".
     */
    base_config: z.enum(['lab', 'lab-console', 'defconfig']).default('lab'),
    /** Fragments by name from kernel/configs/ (damon, kunit, debug, ibs) or paths relative to this file. */
    configs: z.array(z.string().min(1)).default(['damon']),
    /** Single symbols on top of the fragments. */
    // A line break in a value would add .config lines of its own (a CONFIG_KASAN nobody asked for).
    config: z
      .record(configSymbol, z.string().regex(/^[^\r\n\0]*$/, 'a value on one line (no CR, LF or NUL)'))
      .default({}),
    /**
     * A requested symbol that no Kconfig of the tree defines: "error" (exit 2, the default), or "ignore"
     * for builds of commits from before the symbol existed (patchcheck's prefixes, bisect steps).
     */
    undefined_symbols: z.enum(['error', 'ignore']).default('error'),
    artifacts: z
      .object({
        /** Module files the build must produce, relative to the tree, e.g. mm/damon/damon_ibs.ko */
        modules: z.array(z.string().regex(/\.ko$/, 'a .ko path such as mm/damon/damon_ibs.ko')).default([]),
        /** kselftest targets built and installed with the kernel. */
        selftests: z.array(z.string().regex(/^[a-z0-9_/-]+$/)).default(['damon']),
      })
      .strict()
      .default({ modules: [], selftests: ['damon'] }),
    /** A loadable DAMON operations module the series adds (used by the damon-ops-module suite). */
    ops_module: z
      .object({
        module: z.string().regex(/^[A-Za-z0-9_-]+$/),
        ops: z.string().regex(/^[A-Za-z0-9_-]+$/),
        /**
         * The /proc/cpuinfo flag the module needs (damon_ibs: ibs). Where the guest CPU lacks it, the module
         * refuses to load (ENODEV): the suite records that and SKIPs what needs the hardware, saying why.
         */
        cpu_flag: z
          .string()
          .regex(/^[a-z0-9_]+$/)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SeriesSpec = z.output<typeof SeriesSpecSchema>;
export type BaseConfig = SeriesSpec['base_config'];
