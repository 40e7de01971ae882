import { createHash } from 'node:crypto';
import {
  createWriteStream,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { shq } from '../guest/shell-quote.js';
import type { GuestSsh } from '../guest/ssh-session.js';
import { InfraError, UsageError } from '../util/errors.js';
import { isDirectory } from '../util/fs-probe.js';
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * `lab cp`: files and folders between the host and a kept guest, as tar streams over an SSH exec channel (the
 * guest's dropbear has no SFTP), then checked: every file's sha256 on both sides must match, or the copy is an
 * infrastructure error naming the first file that differs.
 */

/** One end of a copy: a host path, or a guest path (`NAME:path`, or `:path` for the only kept guest). */
export type CopyEnd = { where: 'host'; path: string } | { where: 'guest'; guest?: string; path: string };

/** Pure: reads `NAME:path`, `:path` or a host path (a host path with a colon is written `./a:b`). */
export function parseCopyEnd(arg: string): CopyEnd {
  const m = /^([a-z0-9][a-z0-9._-]*)?:(.*)$/.exec(arg);
  if (!m) return { where: 'host', path: arg };
  if (!m[2]) throw new UsageError(`lab cp: '${arg}' names no path in the guest`);
  return { where: 'guest', ...(m[1] ? { guest: m[1] } : {}), path: m[2] };
}

/** Pure: relative path → sha256 from `sha256sum` output run in the copy's folder (`./a/b` or a single file). */
export function parseSha256sum(out: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) sums.set(m[2]!.replace(/^\.\//, ''), m[1]!);
  }
  return sums;
}

/** Pure: the first difference between two sets of sums, or undefined when they are the same. */
export function firstDifference(a: Map<string, string>, b: Map<string, string>): string | undefined {
  for (const [path, sum] of a) {
    const other = b.get(path);
    if (other === undefined) return `${path} is missing on the other side`;
    if (other !== sum) return `${path} differs (sha256 ${sum.slice(0, 12)}… against ${other.slice(0, 12)}…)`;
  }
  for (const path of b.keys()) if (!a.has(path)) return `${path} is extra on the other side`;
  return undefined;
}

/** Every regular file's sha256 under a host path, keyed by path relative to it (a file: '.'). */
export function hostSums(path: string): Map<string, string> {
  const sums = new Map<string, string>();
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    // A single file is '.': a copy may give it another name.
    else if (st.isFile())
      sums.set(relative(path, p) || '.', createHash('sha256').update(readFileSync(p)).digest('hex'));
  };
  walk(path);
  return sums;
}

/** The guest's sums of what is at `path` (a folder's files relative to it; a file as '.'). */
async function guestSums(ssh: GuestSsh, path: string): Promise<Map<string, string>> {
  const q = shq(path);
  const out = await ssh.check(
    // A single file is summed from stdin and named '.', as on the host.
    `if [ -d ${q} ]; then cd ${q} && find . -type f -exec sha256sum {} +; else sha256sum < ${q} | sed 's/ -$/ ./'; fi`,
  );
  return parseSha256sum(out);
}

function check(what: string, a: Map<string, string>, b: Map<string, string>): void {
  const diff = firstDifference(a, b);
  if (diff) throw new InfraError(`lab cp: the copy ${what} does not match its source: ${diff}`);
}

/**
 * Host → guest. Into `guestPath` when it is a folder there (keeping the name), else as `guestPath` (its folder must
 * exist). Returns where it landed.
 */
export async function copyIn(ssh: GuestSsh, hostPath: string, guestPath: string): Promise<string> {
  const src = resolve(hostPath);
  if (!lstatExists(src)) throw new UsageError(`lab cp: ${hostPath} does not exist`);
  const isDir = (await ssh.exec(`[ -d ${shq(guestPath)} ]`)).code === 0;
  const target = isDir ? `${guestPath.replace(/\/+$/, '')}/${basename(src)}` : guestPath;
  // Unpacked beside the target, then renamed into place: a copy cut short leaves no half-written target.
  const stage = `${dirname(target)}/.lab-cp.${process.pid}`;
  const tar = hostTar(['-C', dirname(src), '-cf', '-', basename(src)]);
  const stderr = new PassThrough();
  let errText = '';
  stderr.on('data', (d: Buffer) => (errText += d.toString()));
  const r = await ssh.stream(
    `rm -rf ${shq(stage)} && mkdir -p ${shq(stage)} && tar -C ${shq(stage)} -xf - && rm -rf ${shq(target)} && mv ${shq(`${stage}/${basename(src)}`)} ${shq(target)} && rmdir ${shq(stage)}`,
    { stdin: tar.output, stdout: new PassThrough().resume(), stderr },
  );
  // A guest side that gave up leaves the host's tar blocked on a pipe nobody reads.
  if (r.code !== 0) tar.child.kill();
  const packed = await tar.done;
  if (r.code === 0 && packed !== 0)
    throw new InfraError(`lab cp: tar on the host failed (exit ${packed}): ${tar.stderr().trim()}`);
  if (r.code !== 0) {
    await ssh.exec(`rm -rf ${shq(stage)}`);
    throw new InfraError(`lab cp: unpacking in the guest failed (exit ${r.code}): ${errText.trim()}`);
  }
  check(`at ${target} in the guest`, hostSums(src), await guestSums(ssh, target));
  return target;
}

/** Guest → host, with the same rules the other way. Returns where it landed. */
export async function copyOut(ssh: GuestSsh, guestPath: string, hostPath: string): Promise<string> {
  const kind = (
    await ssh.exec(`if [ -d ${shq(guestPath)} ]; then echo dir; elif [ -e ${shq(guestPath)} ]; then echo file; fi`)
  ).stdout.trim();
  if (!kind) throw new UsageError(`lab cp: ${guestPath} does not exist in the guest`);
  const name = basename(guestPath.replace(/\/+$/, ''));
  const dest = resolve(hostPath);
  const target = isDirectory(dest) ? join(dest, name) : dest;
  const stage = mkdtempSync(join(dirname(target), '.lab-cp.'));
  try {
    // A folder comes as a tar stream; a file by cat (a sysfs or proc file says 4096 bytes and has fewer: tar
    // stops at that, cat reads what there is).
    const tar = kind === 'dir' ? hostTar(['-C', stage, '-xf', '-']) : undefined;
    const file = tar ? undefined : createWriteStream(join(stage, name));
    const stderr = new PassThrough();
    let errText = '';
    stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const parent = dirname(guestPath.replace(/\/+$/, '')) || '/';
    const r = await ssh.stream(tar ? `tar -C ${shq(parent)} -cf - ${shq(name)}` : `cat ${shq(guestPath)}`, {
      stdout: tar ? tar.child.stdin! : file!,
      stderr,
    });
    (tar ? tar.child.stdin! : file!).end();
    const unpacked = tar ? await tar.done : await new Promise<number>((res) => file!.once('close', () => res(0)));
    if (r.code !== 0) throw new InfraError(`lab cp: packing in the guest failed (exit ${r.code}): ${errText.trim()}`);
    if (unpacked !== 0)
      throw new InfraError(`lab cp: tar on the host failed (exit ${unpacked}): ${tar?.stderr().trim()}`);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(stage, name), target);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  check(`at ${target}`, await guestSums(ssh, guestPath), hostSums(target));
  return target;
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * tar on the host with its streams as they are (node's spawn: nothing reads them before the SSH channel is piped
 * in), its exit status when it ends.
 */
function hostTar(args: string[]): {
  child: ChildProcess;
  output: PassThrough;
  done: Promise<number>;
  stderr: () => string;
} {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Taken at once: a child's stdout nobody reads when it exits is drained and dropped by node (a small archive,
  // written whole before the SSH channel opened, arrived as nothing). The PassThrough holds it, with backpressure.
  const output = new PassThrough();
  child.stdout!.pipe(output);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((resolve) => {
    child.once('error', (e) => {
      err += e.message;
      resolve(127);
    });
    child.once('close', (code) => resolve(code ?? 128));
  });
  return { child, output, done, stderr: () => err };
}
