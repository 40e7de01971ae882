import { createHmac } from 'node:crypto';
/** A libvirt URI taken apart: what the lab needs to reach the host itself (SSH) besides libvirt. */
export interface LibvirtUri {
  uri: string;
  driver: 'qemu';
  /** Undefined for a local URI (qemu:///system): the host is this machine. */
  ssh?: { user: string; host: string; port: number; keyfile?: string; knownHosts?: string; noVerify?: boolean };
  path: '/system' | '/session';
}

/**
 * Pure: parses qemu:///system and qemu+ssh://user@host:port/system?keyfile=...&no_verify=1. The lab
 * opens its own SSH connection to a remote host with the same user, port and key, to copy kernels and
 * images, read the console file and reach the guest's forwarded SSH port on the host's loopback.
 */
export function parseLibvirtUri(uri: string): LibvirtUri {
  const m = /^qemu(\+ssh)?:\/\/([^/]*)(\/system|\/session)(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error(`not a qemu libvirt URI: ${uri}`);
  const [, ssh, authority, path, query] = m;
  if (!ssh) {
    if (authority) throw new Error(`${uri}: a host needs a transport (qemu+ssh://${authority}${path})`);
    return { uri, driver: 'qemu', path: path as LibvirtUri['path'] };
  }
  const a = /^(?:([^@]+)@)?([^:@]+|\[[^\]]+\])(?::(\d+))?$/.exec(authority ?? '');
  if (!a) throw new Error(`${uri}: cannot read user@host:port from '${authority}'`);
  const params = new URLSearchParams(query ?? '');
  const keyfile = params.get('keyfile') ?? undefined;
  const knownHosts = params.get('known_hosts') ?? undefined;
  return {
    uri,
    driver: 'qemu',
    path: path as LibvirtUri['path'],
    ssh: {
      user: a[1] ?? 'root',
      host: a[2]!.replace(/^\[|\]$/g, ''),
      port: a[3] ? Number(a[3]) : 22,
      ...(keyfile ? { keyfile } : {}),
      ...(knownHosts ? { knownHosts } : {}),
      ...(params.get('no_verify') === '1' ? { noVerify: true } : {}),
    },
  };
}

/**
 * Pure: whether a host key (base64 of its wire form) is listed for host:port in known_hosts text:
 * plain entries ("host", "[host]:port" for other ports, comma lists) and hashed ones ("|1|salt|hash", the
 * HMAC-SHA1 of the name keyed by the salt; Debian's ssh_config sets HashKnownHosts yes). Marker lines
 * (@revoked, @cert-authority) never vouch for a key.
 */
export function knownHostKey(knownHosts: string, host: string, port: number, keyBase64: string): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return knownHosts.split('\n').some((line) => {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('@')) return false;
    const [hosts, , key] = t.split(/\s+/);
    if (!hosts || key !== keyBase64) return false;
    return hosts.split(',').some((h) => (h.startsWith('|1|') ? hashedHostMatches(h, name) : h === name));
  });
}

/** Pure: whether a hashed known_hosts name (|1|base64 salt|base64 HMAC-SHA1) is `name`. */
export function hashedHostMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}
