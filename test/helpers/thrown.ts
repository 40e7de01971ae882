import type { ConfigError } from '../../harness/util/errors.js';

/** The error `f` throws (as the lab's input error it should be), or undefined when it returns. */
export function thrown(f: () => unknown): ConfigError | undefined {
  try {
    f();
  } catch (e) {
    return e as ConfigError;
  }
  return undefined;
}
