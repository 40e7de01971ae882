/**
 * Every QEMU (and other long-lived child) the lab starts is registered here, so that whatever way the
 * process ends (success, exception, Ctrl-C, SIGTERM), none is left running. Kills only pids it started.
 */
const live = new Map<number, string>();
let installed = false;

export function trackChild(pid: number, what: string): void {
  live.set(pid, what);
  if (!installed) {
    installed = true;
    // Last resort on any exit path: synchronous, so it runs even from process.exit().
    process.on('exit', killAllNow);
  }
}

export function untrackChild(pid: number): void {
  live.delete(pid);
}

export function trackedChildren(): ReadonlyMap<number, string> {
  return live;
}

export function killAllNow(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
