import type { KernelConfig } from '../kernel/kconfig.js';

/**
 * DAMON's in-kernel users: modules that start DAMON for themselves. While one runs, a sysfs kdamond
 * cannot start (its `state` write fails with EBUSY). Debian's 7.2 enables damon_stat at boot
 * (CONFIG_DAMON_STAT_ENABLED_DEFAULT=y); damon_reclaim and damon_lru_sort start only when enabled.
 */
export interface InKernelDamonUser {
  name: 'damon_stat' | 'damon_reclaim' | 'damon_lru_sort';
  /** y (built in) or m. */
  built: string;
  /** Whether it starts DAMON at boot unless told not to. */
  enabledAtBoot: boolean;
}

const USERS = [
  { name: 'damon_stat', symbol: 'CONFIG_DAMON_STAT', atBoot: 'CONFIG_DAMON_STAT_ENABLED_DEFAULT' },
  { name: 'damon_reclaim', symbol: 'CONFIG_DAMON_RECLAIM' },
  { name: 'damon_lru_sort', symbol: 'CONFIG_DAMON_LRU_SORT' },
] as const;

/** Pure: the in-kernel DAMON users a kernel has, from its config. */
export function inKernelDamonUsers(config: KernelConfig): InKernelDamonUser[] {
  return USERS.flatMap((u) => {
    const built = config.get(u.symbol);
    if (built !== 'y' && built !== 'm') return [];
    return [{ name: u.name, built, enabledAtBoot: 'atBoot' in u && config.get(u.atBoot) === 'y' }];
  });
}

/**
 * Pure: kernel command line words that keep the users that start at boot off (`<module>.enabled=N`, a
 * module parameter that works built in and as a module), for suites that need DAMON to themselves.
 */
export function keepOffCmdline(users: readonly InKernelDamonUser[]): string[] {
  return users.filter((u) => u.enabledAtBoot).map((u) => `${u.name}.enabled=N`);
}

/** A guest script printing "<module> <enabled>" for each in-kernel user present (Y/N). */
export const READ_USERS_SCRIPT = `for m in ${USERS.map((u) => u.name).join(' ')}; do f=/sys/module/$m/parameters/enabled; [ -r $f ] && echo "$m $(cat $f)"; done; true`;

/** Pure: the users that are enabled now, from READ_USERS_SCRIPT's output. */
export function enabledUsers(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 2 && f[1] === 'Y')
    .map((f) => f[0]!);
}
