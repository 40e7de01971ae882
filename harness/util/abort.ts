import { InterruptedError } from './errors.js';

/**
 * One abort signal for the whole lab process: Ctrl-C or SIGTERM aborts it, and every wait in the
 * pipeline (boot, SSH, scenario) races against it so cleanup and the partial report still happen.
 * A second signal exits at once (the reaper still kills QEMU on exit).
 */
const controller = new AbortController();
let received: string | undefined;

export const labAbort: AbortSignal = controller.signal;

export function installSignalHandlers(onSecond: () => void): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (received) onSecond();
      received = sig;
      controller.abort(new InterruptedError(sig));
    });
  }
}

/** Settles like `p`, or rejects when the lab is aborted first; leaves no listener behind. */
export function raceAbort<T>(p: Promise<T>): Promise<T> {
  if (labAbort.aborted) return Promise.reject(labAbort.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(labAbort.reason);
    labAbort.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        labAbort.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        labAbort.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return raceAbort(delay(ms));
}

/** The longest wait a Node timer holds: past it, setTimeout fires at once (with only a warning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wait that Ctrl-C does not cut short: for watchers and cleanup, which must run to their end. */
export function delay(ms: number): Promise<void> {
  // A wait from input that a timer cannot hold is a mistake to say, never a wait that ends at once.
  if (!(ms >= 0 && ms <= MAX_TIMER_MS))
    return Promise.reject(new RangeError(`a wait of ${ms} ms: more than a timer holds (${MAX_TIMER_MS} ms)`));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles like `p`, or with `undefined` after `ms`, whichever is first; the timer is cleared either way,
 * so a bounded wait at the end of a command does not hold the process open for its full length.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
