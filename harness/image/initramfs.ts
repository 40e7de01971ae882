import { checkSealed, discardSealed, sealFile } from '../util/sealed-file.js';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { run } from '../util/process.js';
import { hashParts } from '../util/hash.js';
import { memoBytes, memoJson } from '../util/identity-memo.js';
import { repoRoot } from '../util/paths.js';
import { InfraError } from '../util/errors.js';
import { withParents, writeCpio, type CpioEntry } from './cpio.js';
import { parseLddOutput } from './shared-libs.js';
import { moduleClosure, parseModulesDep } from '../kernel/modules-dep.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import type { LabKeys } from '../guest/lab-keys.js';

/** Modules every guest needs to be reachable over SSH; a kernel with them built in simply has none to load. */
export const BASE_GUEST_MODULES = ['virtio_net'];

/** More modules than this is a distribution's tree, not a lab build's: only what loads goes in. */
export const MAX_ALL_MODULES = 300;

export interface InitramfsInputs {
  kernel: KernelArtifact;
  keys: LabKeys;
  /** Extra modules loaded at boot (suite modules). */
  modules: readonly string[];
  /** name → path of static workload binaries, installed in /usr/local/bin. */
  workloads: Readonly<Record<string, string>>;
  /**
   * Put every module of the kernel in the image (kernels the lab built: few and small), so modprobe works
   * for anything. Not for a distribution's tree (over MAX_ALL_MODULES): decompressing a thousand modules
   * took 162 s for Debian's 7.2; such a kernel gets the modules that load, with their dependencies.
   */
  allModules?: boolean;
  /** A kselftest install folder (kselftest-install's INSTALL_PATH), put at /opt/kselftest. */
  kselftestDir?: string;
  /** A script the init runs at boot before the network (the scenario's atBoot), output on the console. */
  bootScript?: string;
  busybox: string;
  dropbear: string;
}

export interface InitramfsPlan {
  entries: CpioEntry[];
  /** Modules that load at boot, in order. */
  loadModules: string[];
  key: string;
}

function fileEntry(path: string, hostPath: string, mode = 0o755): CpioEntry {
  return { kind: 'file', path, data: readFileSync(hostPath), mode };
}

/**
 * Decides every file of the image. Everything read from the host goes through here, so the cache key
 * is a hash of the archive's exact inputs.
 */
export async function planInitramfs(inp: InitramfsInputs, cache?: string): Promise<InitramfsPlan> {
  // The host's answers (applets, libraries, decompressed modules) kept under the files' identities when there is a
  // cache to keep them in.
  const ask = (name: string, files: string[], compute: () => Promise<string>) =>
    cache ? memoJson(cache, name, files, compute) : compute();
  const entries: CpioEntry[] = [];
  const release = inp.kernel.release;
  entries.push({
    kind: 'file',
    path: 'init',
    data: readFileSync(join(repoRoot(), 'images', 'initramfs', 'init.sh')),
    mode: 0o755,
  });
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  for (const d of ['proc', 'sys', 'tmp', 'run', 'mnt', 'usr/bin', 'usr/sbin', 'var/log'])
    entries.push({ kind: 'dir', path: d });
  entries.push({ kind: 'symlink', path: 'sbin', target: 'bin' });

  entries.push(fileEntry('bin/busybox', inp.busybox));
  const applets = (await ask(`${inp.busybox} --list`, [inp.busybox], () => run([inp.busybox, '--list'])))
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const a of applets) entries.push({ kind: 'symlink', path: `bin/${a}`, target: 'busybox' });

  entries.push(fileEntry('usr/sbin/dropbear', inp.dropbear));
  const ldd = await ask(`ldd ${inp.dropbear}`, [inp.dropbear, '/etc/ld.so.cache'], () => run(['ldd', inp.dropbear]));
  for (const lib of parseLddOutput(ldd)) entries.push(fileEntry(lib.replace(/^\//, ''), lib));

  entries.push({ kind: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  entries.push({ kind: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\n') });
  entries.push({ kind: 'file', path: 'etc/shells', data: Buffer.from('/bin/sh\n') });
  entries.push({ kind: 'dir', path: 'root', mode: 0o700 });
  entries.push({ kind: 'dir', path: 'root/.ssh', mode: 0o700 });
  entries.push({
    kind: 'file',
    path: 'root/.ssh/authorized_keys',
    data: Buffer.from(inp.keys.clientPublicKey + '\n'),
    mode: 0o600,
  });
  entries.push({
    kind: 'file',
    path: 'etc/dropbear/dropbear_ed25519_host_key',
    data: readFileSync(inp.keys.hostKeyFile),
    mode: 0o600,
  });

  for (const [name, path] of Object.entries(inp.workloads)) entries.push(fileEntry(`usr/local/bin/${name}`, path));
  if (inp.kselftestDir && existsSync(inp.kselftestDir)) entries.push(...treeEntries(inp.kselftestDir, 'opt/kselftest'));

  // Modules: the closure of what must load (or, for kernels the lab built, all of them, so modprobe works
  // for anything), decompressed (busybox modprobe reads plain .ko only).
  const modDir = join(inp.kernel.modulesRoot, 'lib', 'modules', release);
  // virtio_net is needed for SSH; a kernel that builds it in needs no module for it.
  const wanted = [...(inp.kernel.config.get('CONFIG_VIRTIO_NET') === 'm' ? BASE_GUEST_MODULES : []), ...inp.modules];
  let loadModules: string[] = [];
  if (!existsSync(join(modDir, 'modules.dep'))) {
    if (wanted.length)
      throw new InfraError(
        `kernel ${release} needs modules (${wanted.join(', ')}) but has no ${modDir}/modules.dep`,
        'give the modules with --modules DIR (make modules_install INSTALL_MOD_PATH=DIR)',
      );
  } else {
    const dep = parseModulesDep(readFileSync(join(modDir, 'modules.dep'), 'utf8'));
    const { paths: needed, unknown } = moduleClosure(dep, wanted);
    const builtin = existsSync(join(modDir, 'modules.builtin'))
      ? readFileSync(join(modDir, 'modules.builtin'), 'utf8')
      : '';
    const builtinNames = new Set(builtin.split('\n').map((l) => basename(l).replace(/\.ko$/, '').replace(/-/g, '_')));
    const missing = unknown.filter((m) => !builtinNames.has(m.replace(/-/g, '_')));
    if (missing.length)
      throw new InfraError(`kernel ${release} has no module ${missing.join(', ')} (neither loadable nor built in)`);
    const paths = inp.allModules && dep.size <= MAX_ALL_MODULES ? [...dep.keys()] : needed;
    const depLines: string[] = [];
    for (const p of paths) {
      const plain = p.replace(/\.(xz|gz|zst)$/, '');
      const hostFile = join(modDir, p);
      const data = !p.endsWith('.xz')
        ? readFileSync(hostFile)
        : cache
          ? await memoBytes(cache, `xz -dc ${hostFile}`, [hostFile], () => decompressXz(hostFile))
          : await decompressXz(hostFile);
      entries.push({ kind: 'file', path: `lib/modules/${release}/${plain}`, data, mode: 0o644 });
      depLines.push(`${plain}: ${(dep.get(p) ?? []).map((d) => d.replace(/\.(xz|gz|zst)$/, '')).join(' ')}`.trimEnd());
    }
    entries.push({
      kind: 'file',
      path: `lib/modules/${release}/modules.dep`,
      data: Buffer.from(depLines.join('\n') + '\n'),
    });
    if (builtin)
      entries.push({ kind: 'file', path: `lib/modules/${release}/modules.builtin`, data: Buffer.from(builtin) });
    loadModules = wanted.filter((m) => !unknown.includes(m));
  }
  entries.push({
    kind: 'file',
    path: 'etc/lab/modules',
    data: Buffer.from(loadModules.join('\n') + (loadModules.length ? '\n' : '')),
  });
  if (inp.bootScript !== undefined)
    entries.push({ kind: 'file', path: 'etc/lab/boot.sh', data: Buffer.from(inp.bootScript), mode: 0o755 });

  const ordered = withParents(entries);
  const key = hashParts(
    ordered.map((e): [string, string | Buffer] => {
      const { kind, path, ...rest } = e;
      const meta = JSON.stringify({ ...rest, data: undefined });
      return [`${kind}:${path}:${meta}`, e.kind === 'file' ? e.data : ''];
    }),
  );
  return { entries: ordered, loadModules, key };
}

/** Every file, folder and symlink under `dir`, placed under `prefix` in the image, modes kept. */
function treeEntries(dir: string, prefix: string): CpioEntry[] {
  const out: CpioEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const host = join(dir, name);
    const path = `${prefix}/${name}`;
    const st = lstatSync(host);
    if (st.isSymbolicLink()) out.push({ kind: 'symlink', path, target: readlinkSync(host) });
    else if (st.isDirectory()) out.push({ kind: 'dir', path, mode: st.mode & 0o7777 }, ...treeEntries(host, path));
    else if (st.isFile()) out.push({ kind: 'file', path, data: readFileSync(host), mode: st.mode & 0o7777 });
  }
  return out;
}

async function decompressXz(path: string): Promise<Buffer> {
  const { execa } = await import('execa');
  const r = await execa('xz', ['-dc', path], { encoding: 'buffer' });
  return Buffer.from(r.stdout);
}

/** Builds (or finds) the image in the content-addressed cache: images/initramfs-<key>.cpio */
export async function buildInitramfs(
  cache: string,
  inp: InitramfsInputs,
): Promise<{ path: string; key: string; cached: boolean; damaged?: boolean }> {
  const plan = await planInitramfs(inp, cache);
  const dir = join(cache, 'images');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `initramfs-${plan.key.slice(0, 20)}.cpio`);
  // A cached image is used only if it is what was published (its seal's hash); a damaged one is rebuilt.
  const state = checkSealed(path);
  if (state === 'ok' || state === 'unsealed') {
    chmodSync(path, 0o600); // images cached before they were made private
    return { path, key: plan.key, cached: true };
  }
  if (state === 'damaged') discardSealed(path);
  const tmp = `${path}.tmp-${process.pid}`;
  // 0600: the image holds the guest's SSH host private key.
  writeFileSync(tmp, writeCpio(plan.entries), { mode: 0o600 });
  renameSync(tmp, path);
  sealFile(path);
  return { path, key: plan.key, cached: false, ...(state === 'damaged' ? { damaged: true } : {}) };
}
