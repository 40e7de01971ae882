import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';
import type { SeriesSpec } from '../schema/series.js';

/**
 * Pure: a series for one bisect step or patchcheck prefix, derived from a template series: the same
 * configs (paths made absolute, so the file works from wherever it is written), a fixed base, and
 * symbols a commit's Kconfig does not define yet left out instead of failing.
 */
export function stepSeries(template: SeriesSpec, templateFile: string | undefined, o: { name: string; base: string; patchesDir?: string; description: string; modules: boolean }): Record<string, unknown> {
  const here = templateFile ? dirname(templateFile) : process.cwd();
  const configs = template.configs.map((c) => (c.endsWith('.config') || c.includes('/') ? (isAbsolute(c) ? c : resolve(here, c)) : c));
  return {
    name: o.name,
    description: o.description,
    base: o.base,
    ...(o.patchesDir ? { patches: { dir: o.patchesDir } } : {}),
    base_config: template.base_config,
    configs,
    config: template.config,
    undefined_symbols: 'ignore',
    artifacts: { modules: o.modules ? template.artifacts.modules : [], selftests: template.artifacts.selftests },
  };
}

/** Writes a derived series with a header saying how to reproduce the step with it. */
export function writeStepSeries(path: string, series: Record<string, unknown>, reproduce: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `# Written by damon-lab. Reproduce this step:\n#   ${reproduce}\n${yaml.dump(series, { lineWidth: 200 })}`);
}
