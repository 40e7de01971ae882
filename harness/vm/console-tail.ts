import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Follows a file QEMU is appending to (the serial console) by polling; QEMU writes it from its own
 * thread, so reading new bytes every few tens of milliseconds is cheap and needs no inotify.
 */
export class FileFollower {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly path: string, private readonly onText: (text: string) => void) {}

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
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      this.onText(buf.subarray(0, n).toString('utf8'));
    } finally {
      closeSync(fd);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
  }
}
