import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { SeriesSpec } from '../schema/series.js';
import { debianSourceId } from '../source/debian-source.js';

/**
 * Pure: a series for one bisect step or patchcheck prefix, derived from a template series: the same
 * configs (paths made absolute, so the file works from wherever it is written), a fixed base, and
 * symbols a commit's Kconfig does not define yet left out instead of failing.
 */
export function stepSeries(
  template: SeriesSpec,
  templateFile: string | undefined,
  o: { name: string; base: string; patchesDir?: string; description: string; modules: boolean },
): Record<string, unknown> {
  const configs = absoluteConfigs(template.configs, templateFile);
  return {
    name: o.name,
    description: o.description,
    base: o.base,
    // The step's base is a commit: of the Debian source the template was based on, unless --tree says otherwise.
    ...((debianSourceId(template.base) ?? template.source)
      ? { source: debianSourceId(template.base) ?? template.source }
      : {}),
    ...(o.patchesDir ? { patches: { dir: o.patchesDir } } : {}),
    base_config: template.base_config,
    configs,
    config: template.config,
    undefined_symbols: 'ignore',
    artifacts: { modules: o.modules ? template.artifacts.modules : [], selftests: template.artifacts.selftests },
  };
}

/** Pure: fragment names as they are (kernel/configs/), fragment paths made absolute against the series file. */
export function absoluteConfigs(configs: readonly string[], seriesFile: string | undefined): string[] {
  const here = seriesFile ? dirname(seriesFile) : process.cwd();
  return configs.map((c) => (c.endsWith('.config') || c.includes('/') ? (isAbsolute(c) ? c : resolve(here, c)) : c));
}

/** Pure: a series' patch source with its paths made absolute, so a copy of the series works from anywhere. */
export function absolutePatches(patches: SeriesSpec['patches'], seriesFile: string): SeriesSpec['patches'] {
  if (!patches || 'range' in patches) return patches;
  const here = dirname(seriesFile);
  return 'dir' in patches ? { dir: resolve(here, patches.dir) } : { mbox: resolve(here, patches.mbox) };
}

/** Writes a derived series with a header saying how to reproduce the step with it. */
export function writeStepSeries(path: string, series: Record<string, unknown>, reproduce: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `# Written by damon-lab. Reproduce this step:\n#   ${reproduce}\n${yaml.dump(series, { lineWidth: 200 })}`,
  );
}
