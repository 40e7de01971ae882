import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, probe } from '../util/process.js';
import { currentUserBuilder, type Builder } from '../kbuild/build-user.js';
import { LabError } from '../util/errors.js';
import { parseKernelConfig } from '../kernel/kconfig.js';
import type { BaseConfig } from '../schema/series.js';
import {
  droppedSymbols,
  kconfigDepends,
  requestedSymbols,
  type ConfigFragment,
  type DroppedSymbol,
} from './config-plan.js';

/** Requested symbols the final .config does not have. Exit 2: the series asks for what this tree cannot give. */
export class ConfigDroppedError extends LabError {
  constructor(
    readonly dropped: DroppedSymbol[],
    configPath: string,
  ) {
    super(
      `${dropped.length} requested config symbol(s) did not survive the kernel's Kconfig (${configPath}):\n` +
        dropped
          .map(
            (d) =>
              `  ${d.symbol}=${d.wanted} (from ${d.from}) is ${d.got === 'n' ? 'not set' : d.got}${d.dependsOn === undefined ? '' : d.dependsOn.length ? `; depends on ${d.dependsOn.join(' && ')}` : '; not defined by any Kconfig in this tree'}`,
          )
          .join('\n'),
      'cannot-configure',
    );
  }
}

/**
 * Writes <buildDir>/.config and checks every requested symbol in it. The fragments are merged by the
 * tree's own scripts/kconfig/merge_config.sh (later ones win). Bases "lab" and "lab-console": the merged file is the
 * KCONFIG_ALLCONFIG of `make allnoconfig`, so every option nobody named is off, even those that
 * olddefconfig would switch on as defaults once a fragment makes them visible (all of ACPI's drivers
 * after CONFIG_ACPI=y, say): the config stays as small as its fragments say. Base "defconfig":
 * defconfig, the fragments merged on top, then olddefconfig.
 *
 * Two folders: `scratch`, the lab's own (root's when the lab runs as root), holds the fragments; the
 * build directory is the builder's, and only the builder's commands write it (the tree's scripts run
 * there); the .config is read back with the builder's rights.
 */
export async function makeConfig(o: {
  tree: string;
  buildDir: string;
  scratch: string;
  base: BaseConfig;
  fragments: readonly ConfigFragment[];
  makeArgs: readonly string[];
  ignoreUndefined?: boolean;
  builder?: Builder;
  env?: Record<string, string>;
}): Promise<{ configText: string }> {
  const builder = o.builder ?? currentUserBuilder();
  // make's environment (ccache's folder among it: the config step runs the compiler too) and the builder's.
  const as = (argv: readonly string[], cwd?: string) =>
    run(builder.argv(argv), { env: { ...o.env, ...builder.env }, ...(cwd ? { cwd } : {}) });
  await builder.own(o.buildDir);
  const fragDir = join(o.scratch, 'fragments');
  rmSync(fragDir, { recursive: true, force: true });
  mkdirSync(fragDir, { recursive: true, mode: 0o755 });
  const files = o.fragments.map((f, i) => {
    const p = join(fragDir, `${String(i).padStart(2, '0')}-${f.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.config`);
    writeFileSync(p, f.text, { mode: 0o644 });
    return p;
  });
  const empty = join(fragDir, 'empty');
  writeFileSync(empty, '', { mode: 0o644 });
  const make = ['make', '-C', o.tree, `O=${o.buildDir}`, ...o.makeArgs];
  const config = join(o.buildDir, '.config');
  const mergeScript = join(o.tree, 'scripts', 'kconfig', 'merge_config.sh');
  if (o.base !== 'defconfig') {
    const merged = join(o.buildDir, 'lab-allconfig');
    // KCONFIG_CONFIG: merge_config.sh writes to it relative to the current directory otherwise (the source tree).
    await as(['env', `KCONFIG_CONFIG=${merged}`, mergeScript, '-m', '-O', o.buildDir, empty, ...files], o.buildDir);
    await as([...make, `KCONFIG_ALLCONFIG=${merged}`, 'allnoconfig']);
  } else {
    await as([...make, 'defconfig']);
    await as(['env', `KCONFIG_CONFIG=${config}`, mergeScript, '-m', '-O', o.buildDir, config, ...files], o.buildDir);
    await as([...make, 'olddefconfig']);
  }
  const configText = await builder.read(config);
  const dropped = droppedSymbols(requestedSymbols(o.fragments), parseKernelConfig(configText));
  for (const d of dropped) {
    const name = d.symbol.replace(/^CONFIG_/, '');
    const hit = await probe([
      'git',
      '-C',
      o.tree,
      'grep',
      '-l',
      '-E',
      `^\\s*(menu)?config ${name}\\s*$`,
      '--',
      '*Kconfig*',
    ]);
    const file = hit.stdout.split('\n')[0];
    if (file) {
      // The file as git has it (a blob), not as the checkout has it: a tracked symlink reads as its path.
      const deps = kconfigDepends(await run(['git', '-C', o.tree, 'show', `HEAD:${file}`]), name);
      if (deps?.length) d.dependsOn = deps;
    } else {
      d.dependsOn = [];
    }
  }
  // Undefined symbols belong to commits this one lacks (a later patch adds their Kconfig): left out on request.
  const fatal = o.ignoreUndefined ? dropped.filter((d) => !(d.dependsOn?.length === 0)) : dropped;
  if (fatal.length) throw new ConfigDroppedError(fatal, config);
  return { configText };
}
