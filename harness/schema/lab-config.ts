import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/);

/**
 * One libvirt host of the lab. Its capabilities are not written here: they are probed over the
 * connection (the doctor's probes, run on that host) and cached per host.
 */
export const HostSpecSchema = z
  .object({
    name,
    /** A libvirt URI: qemu:///system on this machine, qemu+ssh://user@host[:port]/system?keyfile=... elsewhere. */
    uri: z
      .string()
      .regex(
        /^qemu(\+ssh)?:\/\/[^\s]*\/(system|session)(\?[^\s]*)?$/,
        "a libvirt URI such as 'qemu:///system' or 'qemu+ssh://root@host/system?keyfile=/path/key'",
      ),
    /** Guests the host runs at once (cells placed on it wait beyond that). */
    max_guests: z.number().int().positive().max(64).default(2),
    /**
     * Where kernels, images and consoles go on the host; each file is copied once, named by its content.
     * Default: ~/.cache/damon-lab of the SSH user. It must be the SSH user's own and no one else's (0700):
     * another user able to write there could plant the kernel a root QEMU boots.
     */
    workdir: z
      .string()
      .regex(/^\/[^\s'"\\]*$/, 'an absolute path on the host, without spaces or quotes')
      .optional(),
    /** auto: KVM where a probe boot through this host's libvirt reaches userspace, TCG otherwise. */
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  })
  .strict();

/** The lab config ($LAB_CONFIG, --lab-config, or ~/.config/damon-lab/lab.yaml): the hosts inventory. */
export const LabConfigSchema = z
  .object({
    hosts: z.array(HostSpecSchema).default([]),
  })
  .strict();

export type HostSpec = z.output<typeof HostSpecSchema>;
export type LabConfig = z.output<typeof LabConfigSchema>;
