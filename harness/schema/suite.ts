import { z } from 'zod';

/** suites/*.yaml: what runs in a guest, on which guest, and what the kernel must have. */
export const SuiteSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    description: z.string().optional(),
    /** The TypeScript scenario in suites/<scenario>.ts that drives the guest. */
    scenario: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    guest: z.string().default('default'),
    /** initramfs (busybox, seconds to build), or a rootfs recipe from images/ (e.g. debian) booted as the root disk. */
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .default('initramfs'),
    /** Kernel config the suite needs, e.g. CONFIG_DAMON_SYSFS: y. Unmet: the suite is SKIP with the reason. */
    kernel_config: z
      .record(z.string().regex(/^CONFIG_[A-Z0-9_]+$/), z.union([z.enum(['y', 'm', 'n']), z.string()]))
      .default({}),
    /** Kernel command line words the suite needs (e.g. kunit.filter_glob=damon*). */
    cmdline: z.array(z.string()).default([]),
    /** Modules loaded by the guest's init before SSH comes up. */
    modules: z.array(z.string()).default([]),
    /**
     * TCG guests only: run tlb-churn (a 1 ms ticker per CPU) so the accessed bits DAMON reads behave as on
     * hardware. Suites that monitor no accesses (KUnit) turn it off: it slows everything else in the guest.
     */
    tlb_churn: z.boolean().default(true),
    /**
     * The suite needs DAMON to itself: in-kernel DAMON users that start at boot (Debian 7.2's damon_stat)
     * are kept off with `<module>.enabled=N` on the kernel command line, and the report says so.
     */
    damon_exclusive: z.boolean().default(true),
    /** Workload programs (suites/workloads/<name>.c) put into the image. */
    workloads: z.array(z.string().regex(/^[a-z0-9_-]+$/)).default([]),
    /** Host and guest capabilities the suite needs; an unmet one makes every check SKIP with the exact reason. */
    requires: z.array(z.enum(['kvm', 'vpmu', 'mediated_vpmu', 'amd_ibs', 'guest_ibs', 'numa'])).default([]),
    /** Seconds the scenario may take once the guest is up. */
    // Bounded: a timer holds at most 2^31-1 ms (24.8 days), and beyond it fires at once.
    timeout: z.number().positive().max(86400).default(300),
    /** Scenario parameters; each scenario validates its own. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type SuiteSpec = z.output<typeof SuiteSpecSchema>;
