import { spawnSync } from 'node:child_process';

/**
 * Every QEMU (and other long-lived child) the lab starts is registered here, so that whatever way the
 * process ends (success, exception, Ctrl-C, SIGTERM), none is left running. Kills only pids it started,
 * and destroys only the libvirt domains it created (by URI and name).
 */
const live = new Map<number, { what: string; group: boolean }>();
const domains = new Map<string, { uri: string; name: string }>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  // Last resort on any exit path: synchronous, so it runs even from process.exit().
  process.on('exit', killAllNow);
}

/** group: the pid leads a process group of its own (make and its compilers), killed whole. */
export function trackChild(pid: number, what: string, o: { group?: boolean } = {}): void {
  live.set(pid, { what, group: o.group ?? false });
  install();
}

/** A transient libvirt domain the lab created: destroyed on any exit path if still tracked. */
export function trackDomain(uri: string, name: string): void {
  domains.set(`${uri} ${name}`, { uri, name });
  install();
}

export function untrackDomain(uri: string, name: string): void {
  domains.delete(`${uri} ${name}`);
}

export type DestroyOutcome = 'destroyed' | 'gone' | 'refused' | 'failed';

/**
 * Destroys a domain from a process that is ending (no event loop left for the binding): virsh, bounded
 * in time. "gone": the domain does not exist (any more); "refused": it exists and was not destroyed (a domain
 * still starting refuses: "domain is not running"; the caller may try again); "failed": no answer (no virsh, no
 * daemon, a timeout).
 */
export function destroyDomainNow(uri: string, name: string): DestroyOutcome {
  const r = spawnSync('virsh', ['-c', uri, 'destroy', name], { stdio: 'ignore', timeout: 10_000 });
  if (r.status === 0) return 'destroyed';
  const state = spawnSync('virsh', ['-c', uri, 'domstate', name], { encoding: 'utf8', timeout: 10_000 });
  if (state.status === 0) return 'refused';
  // virsh says "failed to get domain" for a name libvirt does not know; anything else leaves the question open.
  return /failed to get domain|Domain not found/i.test(`${state.stderr ?? ''}`) ? 'gone' : 'failed';
}

export function untrackChild(pid: number): void {
  live.delete(pid);
}

export function killAllNow(): void {
  for (const [pid, c] of live) {
    try {
      process.kill(c.group ? -pid : pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  for (const d of domains.values()) destroyDomainNow(d.uri, d.name);
  domains.clear();
}
