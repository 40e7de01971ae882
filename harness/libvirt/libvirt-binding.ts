import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExeca } from '../util/process.js';
import { repoRoot } from '../util/paths.js';
import { InfraError } from '../util/errors.js';

const PACKAGE = '@unraid/libvirt';

/** Whether the native binding loads (in a child: a failed ESM import is remembered for the process). */
async function bindingLoads(): Promise<boolean> {
  const execa = await loadExeca();
  const r = await execa('node', ['--input-type=module', '-e', `await import('${PACKAGE}')`], {
    cwd: repoRoot(),
    reject: false,
  });
  return r.exitCode === 0;
}

/**
 * The optional libvirt binding, built from source against Debian's libvirt-dev (installed first by
 * `lab setup --libvirt`). npm skips an optional native package it cannot build (no libvirt-dev at
 * `npm ci` time), so this builds it afterwards: a rebuild of what npm kept, or an install of the pinned
 * version without touching package.json. Returns what it did.
 */
export async function ensureLibvirtBinding(log: (line: string) => void): Promise<string> {
  if (await bindingLoads()) return 'present';
  const root = repoRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const version = pkg.optionalDependencies?.[PACKAGE];
  if (!version) throw new InfraError(`package.json names no ${PACKAGE} in optionalDependencies`);
  const env = { ...process.env, npm_config_build_from_source: 'true' };
  const dir = join(root, 'node_modules', ...PACKAGE.split('/'));
  log(`building ${PACKAGE}@${version} from source against libvirt-dev`);
  const argv = existsSync(dir)
    ? ['rebuild', PACKAGE, '--foreground-scripts']
    : ['install', '--no-save', '--no-audit', '--no-fund', '--foreground-scripts', `${PACKAGE}@${version}`];
  const execa = await loadExeca();
  const r = await execa('npm', argv, { cwd: root, env, reject: false, all: true });
  if (r.exitCode !== 0 || !(await bindingLoads())) {
    throw new InfraError(
      `cannot build ${PACKAGE}@${version}: npm ${argv.join(' ')} exited ${r.exitCode}`,
      String(r.all).split('\n').slice(-20).join('\n'),
    );
  }
  return 'built from source';
}
