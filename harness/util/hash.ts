import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 over a sequence of labelled parts; labels keep ("ab","c") and ("a","bc") apart. */
export function hashParts(parts: Array<[string, string | Buffer]>): string {
  const h = createHash('sha256');
  for (const [label, value] of parts) {
    const buf = typeof value === 'string' ? Buffer.from(value) : value;
    h.update(`${label}\0${buf.length}\0`);
    h.update(buf);
  }
  return h.digest('hex');
}

export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
