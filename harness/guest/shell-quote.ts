/**
 * Quotes one word for a POSIX shell. Remote commands over SSH are shell strings by nature; every word built from data
 * goes through here.
 */
export function shq(word: string): string {
  if (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}
