import type ssh2 from 'ssh2';
import type { Duplex } from 'node:stream';
import { InfraError } from '../util/errors.js';
import { shellJoin, shq } from './shell-quote.js';
import { timeline } from '../util/timeline.js';

/** Longest script sent as the exec request itself; longer ones travel on stdin. */
export const MAX_EXEC_REQUEST = 2000;

export interface ExecResult {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Milliseconds before the command is considered hung (the channel is closed and an error thrown). */
  timeoutMs?: number;
}

/**
 * An SSH connection to a guest through ssh2. Commands run under the guest's /bin/sh; exec() takes a
 * script the caller wrote, run() takes an argv and quotes it. Files move over exec channels (cat), since
 * dropbear in the initramfs has no SFTP server.
 */
export class GuestSsh {
  /** Why the connection ended when the lab did not end it; undefined while it is up or after close(). */
  dropped: string | undefined;
  private closing = false;

  private constructor(
    private readonly client: ssh2.Client,
    readonly port: number,
  ) {
    client.on('error', (e: Error) => {
      if (!this.closing) this.dropped ??= e.message;
    });
    client.on('close', () => {
      if (!this.closing) this.dropped ??= 'connection closed by the other end';
    });
  }

  /**
   * ssh2 is loaded here, not at start-up: it is only needed once a guest is booting, and loading it
   * while QEMU boots takes it off the run's critical path.
   */
  static preload(): Promise<typeof ssh2> {
    return import('ssh2').then((m) => m.default);
  }

  static async connect(opts: {
    port: number;
    privateKey: string;
    hostPublicKey: string;
    timeoutMs: number;
    sock?: Duplex;
  }): Promise<GuestSsh> {
    const expected = parsePublicKey(opts.hostPublicKey);
    const { Client } = await GuestSsh.preload();
    return new Promise((resolve, reject) => {
      const client = new Client();
      let ready = false;
      client.once('ready', () => {
        ready = true;
        resolve(new GuestSsh(client, opts.port));
      });
      // on, not once: a connect that fails can emit more than one error (a handshake timeout, then "Connection
      // lost before handshake" as the guest dies), and an 'error' with no listener would end the whole lab.
      client.on('error', (e) => {
        if (ready) return;
        reject(e);
        client.end();
      });
      client.connect({
        // A guest on a remote libvirt host is reached through a channel of the host's SSH connection.
        ...(opts.sock ? { sock: opts.sock } : { host: '127.0.0.1', port: opts.port }),
        username: 'root',
        privateKey: opts.privateKey,
        readyTimeout: opts.timeoutMs,
        keepaliveInterval: 5000,
        keepaliveCountMax: 6,
        // The guest's host key is the one the lab baked into the image; anything else is not our guest.
        hostVerifier: (key: Buffer) => key.equals(expected),
      });
      // ssh2 leaves Nagle on. An SSH exchange is small messages each waiting on the last, and with Nagle
      // every one of them waited out a delayed ACK (~40 ms): a connect took 300 ms and an exec 110 ms in
      // a TCG guest, against 0.1 s and 20 ms without it.
      client.setNoDelay(true);
    });
  }

  /**
   * Runs a shell script in the guest. A long script goes to `sh -s` on standard input: SSH servers cap
   * the length of an exec request (dropbear refuses a whole DAMON configuration with "Unable to exec").
   */
  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (script.length > MAX_EXEC_REQUEST && opts.stdin === undefined)
      return this.exec('sh -s', { ...opts, stdin: script });
    const t0 = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.dropped !== undefined) return reject(this.lostError());
      this.execChannel(script, reject, (err, stream) => {
        if (err) return reject(new InfraError(`ssh exec failed: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code = -1;
        let signal: string | undefined;
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs) {
          timer = setTimeout(() => {
            stream.close();
            stream.removeAllListeners('close');
            reject(new InfraError(`guest command timed out after ${opts.timeoutMs} ms: ${script.slice(0, 200)}`));
          }, opts.timeoutMs);
        }
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null, sig?: string) => {
          code = c ?? -1;
          signal = sig ?? undefined;
        });
        let exited = false;
        stream.on('exit', () => {
          exited = true;
        });
        stream.on('close', () => {
          if (timer) clearTimeout(timer);
          timeline.span('exec', t0, commandHead(typeof opts.stdin === 'string' ? opts.stdin : script));
          // A channel torn down with no exit status: the connection went, not the command.
          if (!exited) return reject(this.lostError());
          resolve({
            code,
            ...(signal ? { signal } : {}),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
          });
        });
        if (opts.stdin !== undefined) stream.end(opts.stdin);
        else stream.end();
      });
    });
  }

  /**
   * Runs a command with its output streamed as it comes (`lab exec`): its exit status, or the signal that ended it.
   * A connection that goes while it runs is an InfraError (lost), as for exec().
   */
  stream(
    command: string,
    out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; stdin?: NodeJS.ReadableStream },
  ): Promise<{ code: number; signal?: string }> {
    return new Promise((resolve, reject) => {
      if (this.dropped !== undefined) return reject(this.lostError());
      this.execChannel(command, reject, (err, stream) => {
        if (err) return reject(new InfraError(`ssh exec failed: ${err.message}`));
        let status: { code: number; signal?: string } | undefined;
        // Piped, so a slow reader (a tar unpacking on the host) holds the guest back instead of the lab's memory.
        stream.pipe(out.stdout, { end: false });
        stream.stderr.pipe(out.stderr, { end: false });
        stream.on('exit', (c: number | null, sig?: string) => {
          status = { code: c ?? -1, ...(sig ? { signal: sig } : {}) };
        });
        stream.on('close', () => (status ? resolve(status) : reject(this.lostError())));
        if (out.stdin) out.stdin.pipe(stream);
        else stream.end();
      });
    });
  }

  /** Runs an argv (each word quoted); a non-zero exit is returned, not thrown. */
  run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(shellJoin(argv), opts);
  }

  /** Runs a script and throws if it exits non-zero, with its stderr. */
  async check(script: string, opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(script, opts);
    if (r.code !== 0)
      throw new Error(`guest command failed (exit ${r.code}): ${script.slice(0, 200)}\n${r.stderr.trim()}`);
    return r.stdout;
  }

  async upload(data: string | Buffer, remotePath: string, mode = 0o644): Promise<void> {
    const r = await this.exec(`cat > ${shq(remotePath)} && chmod ${mode.toString(8)} ${shq(remotePath)}`, {
      stdin: data,
    });
    if (r.code !== 0) throw new InfraError(`upload to ${remotePath} failed: ${r.stderr.trim()}`);
  }

  async download(remotePath: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.dropped !== undefined) return reject(this.lostError());
      this.execChannel(`cat ${shq(remotePath)}`, reject, (err, stream) => {
        if (err) return reject(new InfraError(`download of ${remotePath} failed: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code = -1;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => errOut.push(d));
        stream.on('exit', (c: number | null) => {
          code = c ?? -1;
        });
        stream.on('close', () => {
          if (code !== 0)
            reject(new InfraError(`download of ${remotePath} failed: ${Buffer.concat(errOut).toString().trim()}`));
          else resolve(Buffer.concat(out));
        });
      });
    });
  }

  close(): void {
    this.closing = true;
    this.client.end();
  }

  /** ssh2 throws "Not connected" synchronously from exec once the socket is gone: that is a lost connection. */
  /**
   * A terminal session (`lab shell`): a pty of the terminal's size and type, the login shell or one command in it,
   * the terminal's keys passed through raw (Ctrl-C, Ctrl-Z reach the guest's foreground job), its size followed.
   * Resolves with the exit status; the terminal is restored whatever happens.
   */
  interactive(opts: {
    command?: string;
    term: string;
    rows: number;
    cols: number;
    stdin: NodeJS.ReadStream;
    stdout: NodeJS.WriteStream;
    stderr: NodeJS.WritableStream;
  }): Promise<{ code: number; signal?: string }> {
    const pty = { term: opts.term, rows: opts.rows, cols: opts.cols };
    return new Promise((resolve, reject) => {
      const raw = opts.stdin.isTTY === true;
      const onStream = (err: Error | undefined, stream: ssh2.ClientChannel) => {
        if (err) return reject(new InfraError(`ssh session failed: ${err.message}`));
        if (raw) opts.stdin.setRawMode(true);
        const onResize = () => stream.setWindow(opts.stdout.rows, opts.stdout.columns, 0, 0);
        opts.stdout.on('resize', onResize);
        let status: { code: number; signal?: string } | undefined;
        stream.on('exit', (c: number | null, sig?: string) => {
          status = { code: c ?? -1, ...(sig ? { signal: sig } : {}) };
        });
        opts.stdin.pipe(stream);
        stream.pipe(opts.stdout, { end: false });
        stream.stderr.pipe(opts.stderr, { end: false });
        stream.on('close', () => {
          opts.stdin.unpipe(stream);
          opts.stdin.pause();
          opts.stdout.off('resize', onResize);
          if (raw) opts.stdin.setRawMode(false);
          if (status) resolve(status);
          else reject(this.lostError());
        });
      };
      try {
        if (opts.command !== undefined) this.client.exec(opts.command, { pty }, onStream as never);
        else this.client.shell(pty, onStream as never);
      } catch (e) {
        this.dropped ??= (e as Error).message;
        reject(this.lostError());
      }
    });
  }

  private execChannel(script: string, reject: (e: Error) => void, cb: Parameters<ssh2.Client['exec']>[1]): void {
    try {
      this.client.exec(script, cb as never);
    } catch (e) {
      this.dropped ??= (e as Error).message;
      reject(this.lostError());
    }
  }

  private lostError(): InfraError {
    return new InfraError(
      `the SSH connection to the guest was lost (${this.dropped ?? 'channel closed without an exit status'})`,
      undefined,
      'guest-lost',
    );
  }
}

/** The wire-format key blob of an OpenSSH public key line ("ssh-ed25519 AAAA… comment"). */
function parsePublicKey(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new InfraError(`malformed public key: ${line}`);
  return Buffer.from(b64, 'base64');
}

/** The first words of a guest command, for the timeline. */
function commandHead(script: string): string {
  return script.replace(/\s+/g, ' ').trim().slice(0, 60);
}
