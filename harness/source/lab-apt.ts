import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, run } from '../util/process.js';
import { InfraError } from '../util/errors.js';
import { requireFreeSpace } from '../util/free-space.js';

/**
 * The lab's own apt, for `apt-get download` of kernel and kernel source packages from Debian suites the
 * host does not use (sid's 7.2, experimental's 7.3-rc) without touching the host: its own sources list,
 * lists, archives and (empty) dpkg status under $LAB_CACHE/apt, no preferences, no sources.list.d, and
 * signatures checked against Debian's archive keyring (debian-archive-keyring is on every Debian).
 * The host's /etc/apt and installed packages never change because of it.
 */
export const ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
export const LAB_SUITES = ['bookworm', 'bookworm-updates', 'bookworm-security', 'sid', 'experimental'] as const;
const DEFAULT_MIRRORS = { main: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };
export type Mirrors = typeof DEFAULT_MIRRORS;

/**
 * The host's Debian mirrors (their URLs only: mirrors the machine is known to reach), else Debian's CDN.
 * bookworm's 6.12 cloud kernel is published through bookworm-security, hence both.
 */
export function hostMirrors(
  sourcesFiles: readonly string[] = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'],
): Mirrors {
  const text = sourcesFiles
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return {
    main: mirrorIn(text, 'main') ?? DEFAULT_MIRRORS.main,
    security: mirrorIn(text, 'security') ?? DEFAULT_MIRRORS.security,
  };
}

/** Pure: the first main-archive (or security) URL in a deb822 .sources or one-line sources.list text. */
export function mirrorIn(text: string, which: 'main' | 'security' = 'main'): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\s*URIs:\s*(\S+)/i.exec(line) ?? /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
    const url = m?.[1];
    if (url && /^https?:\/\//.test(url) && /security/.test(url) === (which === 'security'))
      return url.replace(/\/+$/, '');
  }
  return undefined;
}

/** Pure: the lab's sources.list. */
export function labSourcesList(mirrors: Mirrors, keyring = ARCHIVE_KEYRING): string {
  return LAB_SUITES.map(
    (s) => `deb [signed-by=${keyring}] ${s.endsWith('-security') ? mirrors.security : mirrors.main} ${s} main\n`,
  ).join('');
}

export interface LabApt {
  dir: string;
  /** `-o` options that point apt at the lab's own state instead of the host's. */
  options: string[];
}

/** Pure: the folders and options of the lab's apt under a cache. */
export function labAptPlan(cache: string): LabApt {
  const dir = join(cache, 'apt');
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return {
    dir,
    options: [
      ...o('Dir::Etc::SourceList', join(dir, 'sources.list')),
      ...o('Dir::Etc::SourceParts', join(dir, 'sources.list.d')),
      ...o('Dir::Etc::Preferences', join(dir, 'preferences')),
      ...o('Dir::Etc::PreferencesParts', join(dir, 'preferences.d')),
      ...o('Dir::State::Lists', join(dir, 'lists')),
      ...o('Dir::State::Status', join(dir, 'status')),
      ...o('Dir::Cache', join(dir, 'cache')),
      ...o('Dir::Cache::Archives', join(dir, 'archives')),
      // The _apt user cannot write into root's cache.
      ...o('APT::Sandbox::User', 'root'),
    ],
  };
}

/** Lays out the lab's apt (idempotent); its lists are fetched by labAptUpdate. */
function ensureLayout(apt: LabApt): void {
  for (const d of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache', 'archives/partial'])
    mkdirSync(join(apt.dir, d), { recursive: true });
  if (!existsSync(ARCHIVE_KEYRING))
    throw new InfraError(
      `${ARCHIVE_KEYRING} is missing: the lab checks Debian's signatures with it`,
      'apt-get install debian-archive-keyring',
    );
  writeFileSync(join(apt.dir, 'sources.list'), labSourcesList(hostMirrors()));
  if (!existsSync(join(apt.dir, 'status'))) writeFileSync(join(apt.dir, 'status'), '');
}

/** Fetches the lab's package lists (once; again when `refresh`, or when a package is not found). */
export async function labAptUpdate(cache: string, log: (s: string) => void, refresh = false): Promise<LabApt> {
  const apt = labAptPlan(cache);
  const stamp = join(apt.dir, 'lists', '.updated');
  if (!refresh && existsSync(stamp)) return apt;
  ensureLayout(apt);
  // Five suites' lists take about 250 MiB; apt on a full disk can hang rather than fail.
  requireFreeSpace(apt.dir, 400 * 1048576, `the Debian package lists (${LAB_SUITES.join(', ')})`);
  log(`fetching Debian package lists (${LAB_SUITES.join(', ')}) into ${apt.dir}`);
  // Bounded in time too: apt has been seen to wait forever on a full disk.
  await run(['apt-get', '-q', ...apt.options, 'update'], { timeout: 20 * 60_000 });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return apt;
}

/** Package names in the lab's lists matching an apt regex (`apt-cache search --names-only`). */
export async function labAptSearch(cache: string, regex: string, log: (s: string) => void): Promise<string[]> {
  const search = async (apt: LabApt) =>
    (await probe(['apt-cache', ...apt.options, 'search', '--names-only', regex])).stdout
      .split('\n')
      .map((l) => l.split(' - ')[0]!.trim())
      .filter(Boolean);
  const found = await search(await labAptUpdate(cache, log));
  return found.length ? found : search(await labAptUpdate(cache, log, true));
}

/** The candidate version of a package in the lab's lists. */
export async function labAptVersion(cache: string, pkg: string, log: (s: string) => void): Promise<string | undefined> {
  const apt = await labAptUpdate(cache, log);
  const r = await probe(['apt-cache', ...apt.options, 'policy', pkg]);
  return /Candidate:\s*(\S+)/.exec(r.stdout)?.[1]?.replace(/^\(none\)$/, '') || undefined;
}

/** `apt-get download` of one package into `cwd` through the lab's apt. */
export async function labAptDownload(cache: string, pkg: string, cwd: string, log: (s: string) => void): Promise<void> {
  const apt = await labAptUpdate(cache, log);
  requireFreeSpace(cwd, 300 * 1048576, `downloading ${pkg}`);
  const attempt = () => probe(['apt-get', 'download', '-q', ...apt.options, pkg], { cwd });
  let r = await attempt();
  if (!r.ok && /Unable to locate|has no installation candidate|404/.test(r.stderr)) {
    await labAptUpdate(cache, log, true);
    r = await attempt();
  }
  if (!r.ok)
    throw new InfraError(
      `apt-get download ${pkg} failed (the lab's apt, ${apt.dir})`,
      r.stderr.split('\n').slice(-8).join('\n'),
    );
}
