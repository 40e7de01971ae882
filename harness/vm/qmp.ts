import { createConnection, type Socket } from 'node:net';

/**
 * A minimal QMP client: connect to the unix socket, leave capabilities negotiation mode, send commands.
 * Enough for the lab's needs (quit, query-status); one command at a time.
 */
export class QmpClient {
  private buffer = '';
  private waiters: Array<{ resolve: (msg: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  private closed: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    // QEMU going away mid-conversation must fail the waiters, never leave them pending forever.
    const fail = (e: Error) => {
      this.closed ??= e;
      for (const w of this.waiters.splice(0)) w.reject(this.closed);
    };
    socket.on('close', () => fail(new Error('QMP socket closed')));
    socket.on('error', (e) => fail(e));
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiters.shift()?.resolve(msg);
      }
    });
  }

  static async connect(path: string, timeoutMs = 2000): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP connect to ${path} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    const qmp = new QmpClient(socket);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QMP on ${path} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([
        (async () => {
          await qmp.next(); // greeting
          await qmp.execute('qmp_capabilities');
        })(),
        timeout,
      ]);
    } catch (e) {
      qmp.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return qmp;
  }

  private next(): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const msg = await reply;
    if ('error' in msg) throw new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }

  close(): void {
    this.socket.destroy();
  }
}
