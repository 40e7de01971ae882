import type { KernelConfig } from './kconfig.js';

/** A bootable kernel as the rest of the lab sees it, whatever built or fetched it. */
export interface KernelArtifact {
  /** `uname -r` of the kernel. */
  release: string;
  /** Where it came from, e.g. "debian:linux-image-6.12.117+deb12-cloud-amd64-unsigned 6.12.117-1~deb12u1". */
  source: string;
  vmlinuz: string;
  /** Holds lib/modules/<release>/ with modules.dep. */
  modulesRoot: string;
  configPath: string;
  config: KernelConfig;
  /** kselftests installed with the kernel (lab builds), put at /opt/kselftest in the guest. */
  kselftestDir?: string;
  /** Identity for reports: the artifact key of a lab build, the series, the config's hash. */
  buildId?: string;
  series?: string;
}
