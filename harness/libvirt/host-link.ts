import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { basename, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import { loadExeca } from '../util/process.js';
import { InfraError } from '../util/errors.js';
import { hashFile } from '../util/hash.js';
import { shq } from '../guest/shell-quote.js';
import { knownHostKey, type LibvirtUri } from './libvirt-uri.js';
import { homedir } from 'node:os';

/**
 * The lab's own line to a libvirt host, beside libvirt's: run a command there, put a file there once
 * (named by its content), follow a file there into a local one, and open a stream to a port on its
 * loopback (where the guests' SSH ports are forwarded). For this machine it is direct; for a remote
 * host it is one SSH connection with the URI's user, port and key.
 */
export interface HostLink {
  readonly name: string;
  readonly local: boolean;
  exec(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /**
   * The file's path on the host, copied there under `dir` unless a file of the same content already is
   * (checked by its hash, not trusted by its name: a file that does not hash right is replaced).
   */
  put(localPath: string, dir: string): Promise<{ path: string; copied: boolean }>;
  /**
   * The lab's folder on the host (`wanted`, or ~/.cache/damon-lab of the SSH user), created 0700 and
   * checked to be the SSH user's own and closed to others; an error naming what is wrong otherwise.
   */
  privateDir(wanted?: string): Promise<string>;
  /** Appends what the host's file holds, and keeps appending as it grows, to a local file; returns a stop function. */
  follow(remotePath: string, localPath: string): Promise<() => void>;
  dial(port: number): Promise<Duplex>;
  close(): void;
}

/** This machine: commands run here, files are used where they are, ports are dialled directly. */
export function localLink(name: string): HostLink {
  return {
    name,
    local: true,
    async exec(argv) {
      const execa = await loadExeca();
      const r = await execa(argv[0]!, argv.slice(1), { reject: false });
      return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async put(localPath) {
      return { path: localPath, copied: false };
    },
    // This machine's files are used where they are (the lab's own 0700 cache): no folder of its own there.
    async privateDir(wanted) {
      return wanted ?? '';
    },
    async follow() {
      return () => {};
    },
    dial(port) {
      return new Promise((resolve, reject) => {
        const s = netConnect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    },
    close() {},
  };
}

/** A file's sha256, hashed once per (path, size, mtime) in this process: root disks are hundreds of MiB. */
async function fileHash(localPath: string): Promise<string> {
  const st = statSync(localPath);
  const key = `${localPath}:${st.size}:${st.mtimeMs}`;
  let h = hashCache.get(key);
  if (!h) {
    h = await hashFile(localPath);
    hashCache.set(key, h);
  }
  return h;
}

/** Content name for a file put on a host: the first 16 hex of its hash, then its own name. */
const contentName = (hash: string, localPath: string) => `${hash.slice(0, 16)}-${basename(localPath)}`;

/**
 * Pure: whether `stat -c '%u %a'` of a folder and `id -u` show it is the user's own and closed to
 * everyone else; the reason when not.
 */
export function privateDirProblem(statLine: string, uid: string): string | undefined {
  const [owner, mode] = statLine.trim().split(/\s+/);
  if (owner === undefined || mode === undefined || !/^[0-7]{3,4}$/.test(mode))
    return `cannot read its owner and mode (${statLine.trim() || 'nothing'})`;
  if (owner !== uid.trim()) return `it belongs to uid ${owner}, not to the SSH user (uid ${uid.trim()})`;
  if ((parseInt(mode, 8) & 0o077) !== 0) return `its mode is ${mode}: not closed to other users (want 700)`;
  return undefined;
}
const hashCache = new Map<string, string>();

/** A remote host over SSH (ssh2): the same user, port and key as its qemu+ssh URI. */
export async function sshLink(name: string, uri: LibvirtUri, timeoutMs = 15000): Promise<HostLink> {
  const target = uri.ssh!;
  // A key file named by the URI, or the user's ssh-agent (keys with passphrases live there).
  const agent = process.env.SSH_AUTH_SOCK;
  if (target.keyfile ? !existsSync(target.keyfile) : !agent)
    throw new InfraError(
      `host ${name}: its URI needs keyfile= naming a readable private key, or an ssh-agent (SSH_AUTH_SOCK) holding one (${uri.uri})`,
    );
  const { Client } = (await import('ssh2')).default;
  const client: ssh2.Client = await new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    c.once('error', (e) =>
      reject(new InfraError(`host ${name}: SSH to ${target.user}@${target.host}:${target.port} failed: ${e.message}`)),
    );
    // The host key is checked as ssh would: against known_hosts= of the URI (or ~/.ssh/known_hosts), unless
    // no_verify=1.
    const knownHosts = target.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    const hostVerifier = (key: Buffer) =>
      target.noVerify === true ||
      (existsSync(knownHosts) &&
        knownHostKey(readFileSync(knownHosts, 'utf8'), target.host, target.port, key.toString('base64')));
    c.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: 5000,
      hostVerifier,
      ...(target.keyfile ? { privateKey: readFileSync(target.keyfile) } : {}),
      ...(agent ? { agent } : {}),
    });
    c.setNoDelay(true); // small request/answer messages: no Nagle wait on each (see GuestSsh.connect)
  });
  const run = (cmd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      client.exec(cmd, (err, stream) => {
        if (err) return reject(new InfraError(`host ${name}: exec failed: ${err.message}`));
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    });
  return {
    name,
    local: false,
    exec: (argv) => run(argv.map(shq).join(' ')),
    async privateDir(wanted) {
      const dir = wanted ?? `${(await run('printf %s "$HOME"')).stdout.trim() || '/root'}/.cache/damon-lab`;
      const r = await run(
        `mkdir -p -m 0700 ${shq(dir)} && chmod 0700 ${shq(dir)} 2>/dev/null; stat -c '%u %a' ${shq(dir)} && id -u`,
      );
      const [statLine = '', uid = ''] = r.stdout.trim().split('\n');
      const problem = r.code === 0 ? privateDirProblem(statLine, uid) : `cannot create it: ${r.stderr.trim()}`;
      if (problem)
        throw new InfraError(
          `host ${name}: the lab's folder ${dir} is not safe: ${problem}`,
          'give the host a workdir: the SSH user owns alone (lab config hosts[].workdir), or fix its owner and mode',
        );
      return dir;
    },
    async put(localPath, dir) {
      const hash = await fileHash(localPath);
      const path = `${dir}/${contentName(hash, localPath)}`;
      // A file of that name is used only if it hashes right: a name is no proof of content.
      const there = await run(`test -f ${shq(path)} && sha256sum ${shq(path)}`);
      if (there.code === 0 && there.stdout.split(/\s/)[0] === hash) return { path, copied: false };
      // Through exec and cat, not sftp: a host's sshd need not offer the sftp subsystem.
      // Written beside and renamed: a copy cut short never passes for the file.
      const tmp = `${path}.part-${process.pid}`;
      const code = await new Promise<number>((resolve, reject) => {
        client.exec(`mkdir -p ${shq(dir)} && cat > ${shq(tmp)}`, (err, stream) => {
          if (err) return reject(new InfraError(`host ${name}: cannot copy ${localPath}: ${err.message}`));
          stream.on('close', (c: number | null) => resolve(c ?? -1));
          stream.resume();
          createReadStream(localPath).pipe(stream);
        });
      });
      if (code !== 0) throw new InfraError(`host ${name}: copying ${localPath} to ${tmp} failed (exit ${code})`);
      const mv = await run(`mv -f ${shq(tmp)} ${shq(path)}`);
      if (mv.code !== 0) throw new InfraError(`host ${name}: cannot place ${path}: ${mv.stderr.trim()}`);
      return { path, copied: true };
    },
    async follow(remotePath, localPath) {
      const out = createWriteStream(localPath, { flags: 'a' });
      const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
        client.exec(`exec tail -c +1 -F ${shq(remotePath)} 2>/dev/null`, (err, s) => (err ? reject(err) : resolve(s))),
      );
      stream.pipe(out);
      return () => {
        stream.close();
        out.end();
      };
    },
    dial(port) {
      return new Promise((resolve, reject) =>
        client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, s) => (err ? reject(err) : resolve(s))),
      );
    },
    close() {
      client.end();
    },
  };
}
