import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';

/**
 * A file that may be huge (a guest that floods its console writes hundreds of MB) read or copied with
 * bounded memory: the first `head` and last `tail` bytes, with a line saying how much was cut between.
 */
export const CONSOLE_HEAD = 16 * 1024 * 1024;
export const CONSOLE_TAIL = 16 * 1024 * 1024;

export function cutMarker(bytes: number): string {
  return `\n[… damon-lab: ${bytes} bytes of console output cut here …]\n`;
}

function readAt(fd: number, start: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, start);
  return buf.subarray(0, n);
}

/** The file's text, whole when it is at most head + tail bytes, else its head, a cut marker and its tail. */
export function readBounded(
  path: string,
  head = CONSOLE_HEAD,
  tail = CONSOLE_TAIL,
): { text: string; size: number; cut: number } {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    if (size <= head + tail) return { text: readAt(fd, 0, size).toString('utf8'), size, cut: 0 };
    const cut = size - head - tail;
    return {
      text: readAt(fd, 0, head).toString('utf8') + cutMarker(cut) + readAt(fd, size - tail, tail).toString('utf8'),
      size,
      cut,
    };
  } finally {
    closeSync(fd);
  }
}

/** Copies a file the way readBounded reads it; returns its full size and the bytes cut. */
export function copyBounded(
  from: string,
  to: string,
  head = CONSOLE_HEAD,
  tail = CONSOLE_TAIL,
): { size: number; cut: number } {
  const r = readBounded(from, head, tail);
  writeFileSync(to, r.text);
  return { size: r.size, cut: r.cut };
}

/** The most a results file or stream given to `lab parse` may hold: past it, it is not one run's output. */
export const MAX_RESULTS_BYTES = 1024 * 1024 * 1024;

/**
 * Reads input whose size nobody promised: a regular file or a stream (standard input, a pipe, a FIFO
 * from `<(cmd)`) up to `max` bytes. A device (/dev/zero never ends) or a folder is refused; past `max`
 * is refused. Returns the text or why not.
 */
export function readInputBounded(path: string | 0, max = MAX_RESULTS_BYTES): { text: string } | { refused: string } {
  const st = statSync(path === 0 ? '/dev/stdin' : path);
  if (!(st.isFile() || st.isFIFO() || st.isSocket() || (path === 0 && st.isCharacterDevice()))) {
    return {
      refused: st.isDirectory()
        ? 'a folder'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device, not a file'
          : 'not a regular file or a stream',
    };
  }
  if (st.isFile() && st.size > max) return { refused: `${st.size} bytes: more than the ${max} the lab reads` };
  const fd = path === 0 ? 0 : openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(1024 * 1024);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > max) return { refused: `more than the ${max} bytes the lab reads` };
      chunks.push(buf.subarray(0, n));
    }
    return { text: Buffer.concat(chunks).toString('utf8') };
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}
