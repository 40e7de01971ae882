import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Follows a file QEMU is appending to (the serial console) by polling; QEMU writes it from its own
 * thread, so reading new bytes every few tens of milliseconds is cheap and needs no inotify.
 */
const CHUNK = 1024 * 1024;

export class FileFollower {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly onText: (text: string) => void,
  ) {}

  start(intervalMs = 50): void {
    this.timer = setInterval(() => this.poll(), intervalMs);
  }

  /** Reads whatever is new now. */
  poll(): void {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return; // not created yet
    }
    if (size <= this.offset) return;
    const fd = openSync(this.path, 'r');
    try {
      // In chunks: a guest that floods its console can add hundreds of MB between two polls.
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.onText(buf.subarray(0, n).toString('utf8'));
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.offset;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
  }
}
