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

/** Why each requirement is unmet; empty when the config satisfies all. 'y' is also met by... only 'y'; 'm' by y or m. */
export function unmetRequirements(config: KernelConfig, required: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [symbol, want] of Object.entries(required)) {
    const have = configValue(config, symbol);
    const ok = want === 'm' ? have === 'm' || have === 'y' : have === want;
    if (!ok) out.push(`kernel config ${symbol}=${have}, suite needs ${symbol}=${want}`);
  }
  return out;
}
