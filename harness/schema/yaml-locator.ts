/**
 * Finds the 1-based line of a node inside block-style YAML text, given the path a validator reported
 * (e.g. ['numa', 1, 'memory']). js-yaml reports positions only for syntax errors, so schema errors
 * are placed here. Returns the deepest ancestor found when the node itself is not on a line of its own
 * (flow style, or a key that is missing).
 */
interface Token {
  line: number; // 1-based
  indent: number;
  kind: 'key' | 'dash';
  key?: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  text.split('\n').forEach((raw, i) => {
    let rest = raw;
    let col = 0;
    const lead = rest.length - rest.trimStart().length;
    rest = rest.trimStart();
    col += lead;
    if (rest === '' || rest.startsWith('#') || rest.startsWith('---')) return;
    while (rest.startsWith('- ') || rest === '-') {
      tokens.push({ line: i + 1, indent: col, kind: 'dash' });
      const after = rest.slice(1);
      const pad = after.length - after.trimStart().length;
      col += 1 + pad;
      rest = after.trimStart();
    }
    const m = /^(?:"([^"]*)"|'([^']*)'|([^\s:#][^:#]*?))\s*:(?:\s|$)/.exec(rest);
    if (m) tokens.push({ line: i + 1, indent: col, kind: 'key', key: m[1] ?? m[2] ?? m[3] ?? '' });
  });
  return tokens;
}

/** Indexes of the direct children of tokens[parent] (or of the document when parent is -1). */
function children(tokens: Token[], parent: number): number[] {
  const out: number[] = [];
  const p = parent >= 0 ? tokens[parent] : undefined;
  let childIndent: number | undefined;
  for (let i = parent + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (p) {
      // A block sequence may sit at the same indent as its parent key.
      const sameIndentSeq = p.kind === 'key' && t.kind === 'dash' && t.indent === p.indent;
      if (t.indent <= p.indent && !sameIndentSeq) break;
      if (p.kind === 'key' && t.kind === 'key' && t.indent === p.indent) break;
    }
    childIndent ??= t.indent;
    if (t.indent < childIndent) break;
    if (t.indent === childIndent) out.push(i);
  }
  return out;
}

export function locateYamlPath(text: string, path: ReadonlyArray<PropertyKey>): number | undefined {
  const tokens = tokenize(text);
  let current = -1;
  let found: number | undefined;
  for (const segment of path) {
    const kids = children(tokens, current);
    let next: number | undefined;
    if (typeof segment === 'number') {
      next = kids.filter((k) => tokens[k]!.kind === 'dash')[segment];
    } else {
      next = kids.find((k) => tokens[k]!.kind === 'key' && tokens[k]!.key === String(segment));
    }
    if (next === undefined) return found;
    current = next;
    found = tokens[next]!.line;
  }
  return found;
}
