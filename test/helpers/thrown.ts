import type { InputFileError } from '../../harness/util/errors.js';

/** The error `f` throws (as the lab's input error it should be), or undefined when it returns. */
export function thrown(f: () => unknown): InputFileError | undefined {
  try {
    f();
  } catch (e) {
    return e as InputFileError;
  }
  return undefined;
}
