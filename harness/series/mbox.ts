/** One message of a patch mbox, as git am would see it. */
export interface MboxMessage {
  /** 1-based position in the mbox. */
  index: number;
  subject: string;
  text: string;
  hasDiff: boolean;
  /** The `base-commit:` trailer b4 and format-patch --base write, if any. */
  baseCommit?: string;
}

const FROM_LINE = /^From [^\s]+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;

/** Pure: splits an mbox into messages (format-patch's "From <sha> Mon Sep 17 00:00:00 2001" separators). */
export function splitMbox(text: string): MboxMessage[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (FROM_LINE.test(l) && (i === 0 || lines[i - 1] === '')) starts.push(i);
  });
  if (starts.length === 0 && text.trim()) starts.push(0);
  return starts.map((s, k) => {
    const body = lines.slice(s, starts[k + 1] ?? lines.length).join('\n');
    return { index: k + 1, ...describePatch(body) };
  });
}

/** Pure: subject (folded header lines joined), whether it carries a diff, and its base-commit. */
export function describePatch(text: string): Omit<MboxMessage, 'index'> {
  const lines = text.split('\n');
  let subject = '';
  const at = lines.findIndex((l) => /^Subject:/i.test(l));
  if (at >= 0) {
    subject = lines[at]!.replace(/^Subject:\s*/i, '');
    for (let i = at + 1; i < lines.length && /^[ \t]/.test(lines[i]!); i++) subject += ' ' + lines[i]!.trim();
  }
  const base = /^base-commit: ([0-9a-f]{7,40})\s*$/m.exec(text)?.[1];
  return {
    subject: subject.trim(),
    text,
    hasDiff: /^(diff --git |--- a\/|\+\+\+ b\/)/m.test(text),
    ...(base ? { baseCommit: base } : {}),
  };
}

/** Pure: the files git am / git apply said failed, from its output. */
export function failedFiles(output: string): string[] {
  const files = new Set<string>();
  for (const re of [/error: patch failed: ([^:\s]+):\d+/g, /error: ([^:\s]+): does not exist in index/g, /error: ([^:\s]+): patch does not apply/g, /CONFLICT \([^)]*\): Merge conflict in (\S+)/g, /error: ([^:\s]+): already exists in (index|working directory)/g]) {
    for (const m of output.matchAll(re)) files.add(m[1]!);
  }
  return [...files];
}
