/** A kernel .config as a map from symbol to value ('y', 'm', a string or number); unset symbols are 'n'. */
export type KernelConfig = ReadonlyMap<string, string>;

export function parseKernelConfig(text: string): KernelConfig {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) {
      map.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) map.set(m[1]!, 'n');
  }
  return map;
}

export function configValue(config: KernelConfig, symbol: string): string {
  return config.get(symbol) ?? 'n';
}

/**
 * Why each requirement is unmet; empty when the config satisfies all. 'y' is also met by... only 'y'; 'm' by y or m.
 */
export function unmetRequirements(config: KernelConfig, required: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [symbol, want] of Object.entries(required)) {
    const have = configValue(config, symbol);
    const ok = want === 'm' ? have === 'm' || have === 'y' : have === want;
    if (!ok) out.push(`kernel config ${symbol}=${have}, suite needs ${symbol}=${want}`);
  }
  return out;
}

/**
 * Pure: why the lab cannot reach a guest running this kernel over SSH (virtio-net, IPv4 and an
 * initramfs for the lab's init and dropbear), or undefined when it can. A kernel built on the
 * console-only base answers here; the run then reads the console alone.
 */
export function sshUnreachableReason(config: KernelConfig): string | undefined {
  const need: Array<[string, string[]]> = [
    ['CONFIG_NET', ['y']],
    ['CONFIG_INET', ['y']],
    ['CONFIG_VIRTIO_PCI', ['y']],
    ['CONFIG_VIRTIO_NET', ['y', 'm']],
    ['CONFIG_BLK_DEV_INITRD', ['y']],
  ];
  const missing = need
    .filter(([s, ok]) => !ok.includes(configValue(config, s)))
    .map(([s]) => `${s}=${configValue(config, s)}`);
  return missing.length
    ? `the kernel cannot be reached over SSH (${missing.join(', ')}): a console-only kernel`
    : undefined;
}
