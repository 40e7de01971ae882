import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExeca } from '../util/process.js';

/**
 * Mail read as `git am` reads it: git's own mailsplit and mailinfo, not a parser of ours. They split an
 * mbox where git would, decode base64 and quoted-printable bodies and RFC 2047 subjects, unfold headers,
 * and tell the commit message from the diff. The lab only decides what git am leaves to its caller:
 * which messages are patches, which is a cover letter, line endings that came from the transport.
 */

export interface MailMessage {
  /** The message as git am is given it (one message; transport CRs removed, see stripTransportCr). */
  data: Buffer;
  /** Subject as mailinfo decodes it, [PATCH …] prefix kept (-k). */
  subject: string;
  /**
   * The message carries a diff: git patch-id finds one in what mailinfo took as the patch part (a cover letter's "---"
   * line alone is none).
   */
  hasDiff: boolean;
  /** The `base-commit:` that b4 and format-patch --base write, from the decoded text. */
  baseCommit?: string;
  /** `git patch-id --stable` of the diff: the same change twice has the same id. */
  patchId?: string;
  /** The diff as mailinfo decoded it (base64 and quoted-printable undone): what a diagnosis reads. */
  diff: Buffer;
}

/** git for reading mail: no repository, no user or system config, never a prompt. */
async function gitMail(args: string[], input?: Buffer): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const execa = await loadExeca();
  const r = await execa('git', args, {
    reject: false,
    ...(input ? { input } : {}),
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: '/nonexistent', LC_ALL: 'C' },
    extendEnv: true,
    stripFinalNewline: false,
  });
  return { ok: r.exitCode === 0, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/**
 * Pure: a message whose every line ends in CRLF came through a mail transport that way (a Windows mail
 * client, an archive's download): the CRs are not the patch's. A message with only some CRLF lines keeps
 * them (a patch to a file with CRLF endings carries them in its diff lines), as git am --keep-cr does.
 */
export function stripTransportCr(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (!lines.length || !lines.every((l) => l.endsWith('\r'))) return data;
  return Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1');
}

/**
 * Pure: an mbox written as mboxrd (lore, b4, public-inbox): body lines that began with "From " were
 * quoted as ">From ", and ">From " as ">>From ". git am must be told so to unquote them. Known by a
 * quoted line or public-inbox's "From mboxrd@z" separator; an mbox with no quoted line reads the same
 * either way.
 */
export function isMboxrd(text: string): boolean {
  return /^>+From /m.test(text) || /^From mboxrd@z /m.test(text);
}

/** Splits an mbox file into its messages where git mailsplit does (git's From-line test, CRs kept). */
export async function splitMailbox(file: string): Promise<Buffer[]> {
  const out = mkdtempSync(join(tmpdir(), 'lab-mailsplit-'));
  try {
    const r = await gitMail(['mailsplit', '--keep-cr', `-o${out}`, '--', file]);
    if (!r.ok) throw new Error(`git mailsplit: ${r.stderr.trim() || 'failed'}`);
    return readdirSync(out)
      .sort()
      .map((f) => readFileSync(join(out, f)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** One message read by git mailinfo: subject (prefix kept), diff or not, base-commit, patch-id. */
export async function readMessage(raw: Buffer): Promise<MailMessage> {
  const data = stripTransportCr(raw);
  const dir = mkdtempSync(join(tmpdir(), 'lab-mailinfo-'));
  try {
    const [msg, patch] = [join(dir, 'msg'), join(dir, 'patch')];
    writeFileSync(msg, '');
    writeFileSync(patch, '');
    // -k: keep the subject's [PATCH n/m] (cover letters are told by it); --quoted-cr=strip: a base64 or
    // quoted-printable body in MIME's canonical CRLF form decodes to the patch's own LF lines.
    const r = await gitMail(['mailinfo', '-k', '--quoted-cr=strip', '--encoding=UTF-8', msg, patch], data);
    const headers = r.ok ? r.stdout : '';
    const subject = /^Subject: (.*)$/m.exec(headers)?.[1]?.trim() ?? '';
    const diff = readFileSync(patch);
    const text = `${readFileSync(msg, 'utf8')}\n${diff.toString('utf8')}`;
    const base = /^base-commit: ([0-9a-f]{7,40})\s*$/m.exec(text)?.[1];
    let patchId: string | undefined;
    if (diff.length) {
      const id = await gitMail(['patch-id', '--stable'], diff);
      patchId = id.ok ? id.stdout.split(' ')[0] || undefined : undefined;
    }
    return {
      data,
      subject,
      diff,
      hasDiff: patchId !== undefined,
      baseCommit: base,
      ...(patchId ? { patchId } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
