import { z } from 'zod';
import { parseSizeMiB } from './size.js';

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const mib = parseSizeMiB(v);
  if (mib === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (use e.g. 1G or 512M)` });
    return z.NEVER;
  }
  return mib;
});

/** A NUMA node of the guest. A node with no CPUs stands in for CXL memory. */
const numaNode = z
  .object({
    cpus: z.number().int().min(0).max(64).describe('vCPUs on this node; 0 makes a CPU-less (CXL-like) node'),
    memory: size,
  })
  .strict();

/** guests/*.yaml: the machine a suite boots. */
export const GuestSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    description: z.string().optional(),
    cpus: z.number().int().min(1).max(64).default(2),
    memory: size.default(1024),
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    /** QEMU -cpu model; default: host under KVM, max under TCG. */
    cpu: z
      .string()
      .regex(/^[A-Za-z0-9_.,=+-]+$/)
      .optional(),
    pmu: z.enum(['none', 'legacy', 'mediated']).default('none'),
    numa: z.array(numaNode).min(1).optional(),
    cmdline: z.array(z.string()).default([]),
    /** The Debian kernel this guest boots when the run names none (debian-6.12, debian-7.2, debian-7.3). */
    kernel: z
      .string()
      .regex(/^debian(-[0-9]+\.[0-9]+)?$/, 'a Debian kernel id such as debian-7.2')
      .optional(),
    boot_timeout: z.number().positive().max(3600).default(120),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (!g.numa) return;
    const cpus = g.numa.reduce((n, node) => n + node.cpus, 0);
    const mem = g.numa.reduce((n, node) => n + node.memory, 0);
    if (cpus !== g.cpus)
      ctx.addIssue({ code: 'custom', path: ['numa'], message: `NUMA nodes hold ${cpus} CPUs but cpus is ${g.cpus}` });
    if (mem !== g.memory)
      ctx.addIssue({
        code: 'custom',
        path: ['numa'],
        message: `NUMA nodes hold ${mem} MiB but memory is ${g.memory} MiB`,
      });
  });

export type GuestSpec = z.output<typeof GuestSpecSchema>;
