import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../util/paths.js';
import { UsageError } from '../util/errors.js';
import { loadYamlFile } from '../schema/load-yaml.js';
import { SuiteSpecSchema, type SuiteSpec } from '../schema/suite.js';
import { GuestSpecSchema, type GuestSpec } from '../schema/guest.js';
import { SeriesSpecSchema, type SeriesSpec } from '../schema/series.js';
import type { Scenario } from './scenario.js';

function namesIn(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

export function knownSuites(): string[] {
  return namesIn(join(repoRoot(), 'suites'), '.yaml');
}

export function knownGuests(): string[] {
  return namesIn(join(repoRoot(), 'guests'), '.yaml');
}

/** A suite by name from suites/, or a path to a suite YAML anywhere (its scenario still comes from suites/). */
export function loadSuite(nameOrPath: string): SuiteSpec {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml');
  const file = isPath ? nameOrPath : join(repoRoot(), 'suites', `${nameOrPath}.yaml`);
  if (!existsSync(file) || (!isPath && !/^[a-z0-9][a-z0-9._-]*$/.test(nameOrPath))) {
    throw new UsageError(`unknown suite '${nameOrPath}'`, `known suites: ${knownSuites().join(', ') || '(none)'}`);
  }
  const spec = loadYamlFile(file, SuiteSpecSchema);
  if (!isPath && spec.name !== nameOrPath)
    throw new UsageError(`${file}: name '${spec.name}' does not match the file name '${nameOrPath}'`);
  return spec;
}

/** A guest by name from guests/, or a path to a guest YAML anywhere. */
export function loadGuest(nameOrPath: string): GuestSpec {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml');
  const file = isPath ? nameOrPath : join(repoRoot(), 'guests', `${nameOrPath}.yaml`);
  if (!existsSync(file))
    throw new UsageError(`unknown guest '${nameOrPath}'`, `known guests: ${knownGuests().join(', ') || '(none)'}`);
  return loadYamlFile(file, GuestSpecSchema);
}

/** Imports suites/<scenario>.js (compiled next to the harness in dist/). */
export async function loadScenario(spec: SuiteSpec): Promise<Scenario> {
  // From dist/ the compiled .js sits beside; from source (tests under tsx) the .ts itself.
  const candidates = ['js', 'ts'].map(
    (ext) => new URL(`../../suites/${spec.scenario}.${ext}`, import.meta.url).pathname,
  );
  const file = candidates.find((f) => existsSync(f));
  if (!file)
    throw new UsageError(
      `suite '${spec.name}': scenario '${spec.scenario}' not found (expected suites/${spec.scenario}.ts)`,
    );
  const mod = (await import(pathToFileURL(file).href)) as { default?: Scenario };
  if (!mod.default || typeof mod.default.run !== 'function')
    throw new UsageError(`suites/${spec.scenario}.ts has no default export of a Scenario`);
  return mod.default;
}

export function knownSeries(): string[] {
  return namesIn(join(repoRoot(), 'kernel', 'series'), '.yaml');
}

/** A series by name from kernel/series/, or a path to a series YAML anywhere. */
export function loadSeries(nameOrPath: string): { spec: SeriesSpec; file: string } {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml');
  const file = isPath ? nameOrPath : join(repoRoot(), 'kernel', 'series', `${nameOrPath}.yaml`);
  if (!existsSync(file))
    throw new UsageError(`unknown series '${nameOrPath}'`, `known series: ${knownSeries().join(', ') || '(none)'}`);
  return { spec: loadYamlFile(file, SeriesSpecSchema), file };
}
