import { readFileSync } from 'node:fs';

/**
 * A process named by pid and start time (clock ticks since boot, field 22 of /proc/PID/stat): a pid
 * alone may have been reused by an unrelated process since it was written down; the pair never is.
 */
export interface ProcessIdentity {
  pid: number;
  start: number;
}

/** The identity of a live process, or undefined when there is none (or it is a zombie). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? { pid, start } : undefined;
}

/** Whether the very process an identity names is still running. */
export function stillRunning(id: ProcessIdentity): boolean {
  return processIdentity(id.pid)?.start === id.start;
}

export function formatIdentity(id: ProcessIdentity): string {
  return `${id.pid} ${id.start}\n`;
}

/** Reads what formatIdentity wrote; undefined for anything else (a half-written or foreign file). */
export function parseIdentity(text: string): ProcessIdentity | undefined {
  const m = /^(\d+) (\d+)\n$/.exec(text);
  return m ? { pid: Number(m[1]), start: Number(m[2]) } : undefined;
}
