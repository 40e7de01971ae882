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

type Ssh2Utils = (typeof import('ssh2'))['utils'];

/** Pure: both halves parse, and the public key is a whole 32-byte ed25519 key (the blob is 51 bytes). */
export function usablePair(utils: Pick<Ssh2Utils, 'parseKey'>, privateKey: string, publicKey: string): boolean {
  const a = utils.parseKey(privateKey);
  const b = utils.parseKey(publicKey.trim());
  if (a instanceof Error || b instanceof Error) return false;
  const one = (k: typeof a) => (Array.isArray(k) ? k[0] : k);
  const blob = one(b)?.getPublicSSH();
  return Buffer.isBuffer(blob) && blob.length === 51 && one(a)?.getPublicSSH().equals(blob) === true;
}

/**
 * An ed25519 pair from ssh2, checked: ssh2 1.17's generateKeyPairSync strips leading zero bytes from the public
 * key, so one pair in 256 has a 31-byte key that nothing parses ("Malformed OpenSSH private key": mscdex/ssh2#1513,
 * met by a fresh clone here). Such a pair is drawn again.
 */
export function generateUsablePair(utils: Pick<Ssh2Utils, 'parseKey' | 'generateKeyPairSync'>): {
  private: string;
  public: string;
} {
  for (let i = 0; i < 32; i++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'damon-lab' });
    if (usablePair(utils, pair.private, pair.public)) return pair;
  }
  throw new Error('ssh2 made 32 ed25519 key pairs in a row that do not parse');
}

export async function ensureLabKeys(cache: string): Promise<LabKeys> {
  const dir = join(cache, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const priv = join(dir, 'lab_ed25519');
  const pub = `${priv}.pub`;
  const { default: ssh2 } = await import('ssh2');
  // A pair an earlier lab made with ssh2's bug (below) is made again: every image with it is built anew.
  if (
    !existsSync(priv) ||
    !existsSync(pub) ||
    !usablePair(ssh2.utils, readFileSync(priv, 'utf8'), readFileSync(pub, 'utf8'))
  ) {
    const pair = generateUsablePair(ssh2.utils);
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
