/** Parses a memory size such as "1G", "512M", "1536MiB" or a bare number of MiB; returns MiB. */
export function parseSizeMiB(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value > 0 && value <= 16 * 1024 * 1024 ? value : undefined;
  const m = /^\s*(\d+)\s*([KMGT]?)(i?B)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const mib = unit === 'G' ? n * 1024 : unit === 'T' ? n * 1024 * 1024 : unit === 'K' ? n / 1024 : n;
  // At most 16 TiB: a number past that is a typo, and past 2^53 not even a number.
  return Number.isInteger(mib) && mib > 0 && mib <= 16 * 1024 * 1024 ? mib : undefined;
}
