import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { checkSealed, discardSealed, sealFile } from '../util/sealed-file.js';
import { join } from 'node:path';
import { run } from '../util/process.js';
import { hashParts } from '../util/hash.js';
import { repoRoot } from '../util/paths.js';
import { UsageError } from '../util/errors.js';
import { loadYamlFile } from '../schema/load-yaml.js';
import { RootfsRecipeSchema } from '../schema/image.js';
import type { LabKeys } from '../guest/lab-keys.js';
import { ensurePackages, ROOTFS_PACKAGES } from '../local-host/packages.js';

export interface RootfsImage {
  path: string;
  key: string;
  /** The OpenSSH host key the image's sshd serves, to verify the guest. */
  hostPublicKey: string;
  cached: boolean;
}

/** Pure: the Debian mirror of the host's apt sources (deb822 or one-line), for debootstrap. */
export function debianMirror(sources: string): string {
  const deb822 = /^URIs:\s*(\S+)[\s\S]*?^Suites:\s*([^\n]*)/gm;
  for (const m of sources.matchAll(deb822))
    if (/\bbookworm\b(?!-)/.test(m[2]!) && !/security/.test(m[1]!)) return m[1]!;
  const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(sources);
  return line?.[1] ?? 'http://deb.debian.org/debian';
}

function hostAptSources(): string {
  const files = ['/etc/apt/sources.list', '/etc/apt/sources.list.d/debian.sources'];
  return files
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/**
 * The rootfs image of a recipe (images/<name>.yaml), built once: debootstrap into a scratch folder, the
 * lab's init and key added, then `mkfs.ext4 -d` writes the image without mounting anything.
 */
export async function buildRootfs(
  cache: string,
  name: string,
  keys: LabKeys,
  log: (s: string) => void,
): Promise<RootfsImage> {
  const file = join(repoRoot(), 'images', `${name}.yaml`);
  if (!existsSync(file)) throw new UsageError(`unknown image '${name}' (no images/${name}.yaml)`);
  const recipe = loadYamlFile(file, RootfsRecipeSchema);
  const init = readFileSync(join(repoRoot(), 'images', 'rootfs', 'init-rootfs.sh'));
  const mirror = debianMirror(hostAptSources());
  const key = hashParts([
    ['recipe', JSON.stringify(recipe)],
    ['init', init],
    ['key', keys.clientPublicKey],
    ['mirror', mirror],
  ]).slice(0, 20);
  const dir = join(cache, 'images');
  const path = join(dir, `rootfs-${recipe.name}-${key}.ext4`);
  const hostKeyFile = `${path}.hostkey.pub`;
  const state = existsSync(hostKeyFile) ? checkSealed(path) : 'missing';
  if (state === 'ok' || state === 'unsealed')
    return { path, key, hostPublicKey: readFileSync(hostKeyFile, 'utf8').trim(), cached: true };
  if (state === 'damaged') {
    log(`${path} is damaged (its sha256 is not the one it was published with): building it again`);
    discardSealed(path);
  }

  await ensurePackages(
    ROOTFS_PACKAGES.map((p) => p.name),
    log,
  );
  mkdirSync(dir, { recursive: true });
  const staging = join(dir, `.rootfs-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    log(
      `debootstrap ${recipe.release} (${recipe.variant}, ${recipe.packages.length} extra packages) from ${mirror}: once, a few minutes`,
    );
    await run(
      [
        'debootstrap',
        `--variant=${recipe.variant}`,
        `--include=${recipe.packages.join(',')}`,
        recipe.release,
        staging,
        mirror,
      ],
      {
        env: { DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
    mkdirSync(join(staging, 'lab'), { recursive: true });
    writeFileSync(join(staging, 'lab', 'init-rootfs'), init);
    chmodSync(join(staging, 'lab', 'init-rootfs'), 0o755);
    mkdirSync(join(staging, 'root', '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(staging, 'root', '.ssh', 'authorized_keys'), keys.clientPublicKey + '\n', { mode: 0o600 });
    // Fresh host keys for this image (the package's postinst may have made some already).
    rmSync(join(staging, 'etc', 'ssh', 'ssh_host_ed25519_key'), { force: true });
    rmSync(join(staging, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), { force: true });
    await run([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'damon-lab-rootfs',
      '-f',
      join(staging, 'etc', 'ssh', 'ssh_host_ed25519_key'),
    ]);
    const hostPub = readFileSync(join(staging, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').trim();
    // apt caches are not needed inside the guest: keep the image small.
    rmSync(join(staging, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    mkdirSync(join(staging, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
    log(`writing ${path} with mkfs.ext4 -d`);
    const tmp = `${path}.tmp-${process.pid}`;
    await run(['mkfs.ext4', '-q', '-F', '-L', 'labroot', '-d', staging, tmp, recipe.size]);
    chmodSync(tmp, 0o600); // it holds the image's SSH host private key
    writeFileSync(hostKeyFile, hostPub + '\n');
    renameSync(tmp, path);
    sealFile(path);
    return { path, key, hostPublicKey: hostPub, cached: false };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
