// Re-encodings of an mbox as mailers and archives write them, for tests of the mail reader: each
// message's body as base64 or quoted-printable (headers say so), or every line ending in CRLF.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The cover letter and the first `n` patches of a format-patch folder, as one mbox. */
export function fixtureMbox(dir: string, n: number): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .slice(0, n + 1);
  return files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

/**
 * The messages of an mbox (format-patch's "From <sha> Mon Sep 17 …" and public-inbox's "From mboxrd@z Thu Jan  1 …"
 * separators).
 */
export function messages(mbox: string): string[] {
  return mbox.split(/(?=^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )/m).filter((m) => m.trim());
}

function reencode(mbox: string, cte: string, body: (b: Buffer) => string): string {
  return messages(mbox)
    .map((m) => {
      const at = m.indexOf('\n\n');
      const head = m
        .slice(0, at)
        .split('\n')
        .filter((l) => !/^(Content-Transfer-Encoding|Content-Type|MIME-Version):/i.test(l));
      head.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', `Content-Transfer-Encoding: ${cte}`);
      return `${head.join('\n')}\n\n${body(Buffer.from(m.slice(at + 2), 'utf8'))}\n`;
    })
    .join('\n');
}

/** Each body base64 in 76-column lines. */
export function base64Message(mbox: string): string {
  return reencode(mbox, 'base64', (b) => b.toString('base64').replace(/.{76}/g, '$&\n').replace(/\n$/, ''));
}

/** Each body quoted-printable (RFC 2045): '=', non-ASCII and trailing blanks escaped, soft breaks at 76. */
export function quotedPrintableMessage(mbox: string): string {
  return reencode(mbox, 'quoted-printable', (b) => {
    const lines = b.toString('latin1').split('\n');
    return lines
      .map((line) => {
        let out = '';
        for (let i = 0; i < line.length; i++) {
          const c = line.charCodeAt(i);
          const last = i === line.length - 1;
          const enc =
            c === 61 || c > 126 || (c < 32 && c !== 9) || (last && (c === 32 || c === 9))
              ? `=${c.toString(16).toUpperCase().padStart(2, '0')}`
              : line[i]!;
          out += enc;
        }
        // Soft line breaks: never split an =XX escape.
        const parts: string[] = [];
        let rest = out;
        while (rest.length > 75) {
          let cut = 75;
          const eq = rest.lastIndexOf('=', cut);
          if (eq > cut - 3) cut = eq;
          parts.push(rest.slice(0, cut) + '=');
          rest = rest.slice(cut);
        }
        parts.push(rest);
        return parts.join('\n');
      })
      .join('\n');
  });
}

/** Every line ending in CRLF, as a transport that canonicalises line ends writes it. */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
