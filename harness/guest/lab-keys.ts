import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util/process.js';

/** The lab's own SSH identity and the guests' host key, made once per cache and baked into every image. */
export interface LabKeys {
  /** OpenSSH private key of the client (ed25519). */
  clientPrivateKey: string;
  /** …and the file it is in (for OpenSSH's own client: `lab exec`'s master connection). */
  clientKeyFile?: string;
  /** "ssh-ed25519 AAAA… damon-lab" for the guest's authorized_keys. */
  clientPublicKey: string;
  /** dropbear-format host key file the guest's dropbear serves. */
  hostKeyFile: string;
  /** The host key's public half, to verify the guest is the one we built. */
  hostPublicKey: string;
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export async function ensureLabKeys(cache: string): Promise<LabKeys> {
  const dir = join(cache, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const priv = join(dir, 'lab_ed25519');
  const pub = `${priv}.pub`;
  if (!existsSync(priv) || !existsSync(pub)) {
    const { default: ssh2 } = await import('ssh2');
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'damon-lab' });
    writeAtomic(pub, pair.public + '\n', 0o644);
    writeAtomic(priv, pair.private, 0o600);
  }
  const hostKeyFile = join(dir, 'dropbear_ed25519_host_key');
  const hostPub = `${hostKeyFile}.pub`;
  if (!existsSync(hostKeyFile) || !existsSync(hostPub)) {
    const tmp = `${hostKeyFile}.tmp-${process.pid}`;
    await run(['dropbearkey', '-t', 'ed25519', '-f', tmp]);
    const out = await run(['dropbearkey', '-y', '-f', tmp]);
    const line = out.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
    if (!line) throw new Error('dropbearkey -y printed no public key');
    writeAtomic(hostPub, line + '\n', 0o644);
    renameSync(tmp, hostKeyFile);
  }
  return {
    clientPrivateKey: readFileSync(priv, 'utf8'),
    clientKeyFile: priv,
    clientPublicKey: readFileSync(pub, 'utf8').trim(),
    hostKeyFile,
    hostPublicKey: readFileSync(hostPub, 'utf8').trim(),
  };
}
