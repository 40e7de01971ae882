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
export function readBounded(path: string, head = CONSOLE_HEAD, tail = CONSOLE_TAIL): { text: string; size: number; cut: number } {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    if (size <= head + tail) return { text: readAt(fd, 0, size).toString('utf8'), size, cut: 0 };
    const cut = size - head - tail;
    return { text: readAt(fd, 0, head).toString('utf8') + cutMarker(cut) + readAt(fd, size - tail, tail).toString('utf8'), size, cut };
  } finally {
    closeSync(fd);
  }
}

/** Copies a file the way readBounded reads it; returns its full size and the bytes cut. */
export function copyBounded(from: string, to: string, head = CONSOLE_HEAD, tail = CONSOLE_TAIL): { size: number; cut: number } {
  const r = readBounded(from, head, tail);
  writeFileSync(to, r.text);
  return { size: r.size, cut: r.cut };
}
