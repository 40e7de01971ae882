/**
 * Text from outside (kernel consoles, KTAP names, mbox subjects, file names) printed to a terminal or
 * written into TAP must not carry control bytes: an ESC sequence in a kernel log line would drive the
 * user's terminal, a NUL or CR would corrupt the TAP stream. They are shown as \xHH instead; newline and
 * tab stay (multi-line messages). C1 controls (U+0080-U+009F) are escaped too: some terminals act on them.
 */
export function escapeControls(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
