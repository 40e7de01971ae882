/** modules.dep as written by depmod: module path → paths it depends on (all relative to /lib/modules/<release>). */
export type ModulesDep = ReadonlyMap<string, readonly string[]>;

export function parseModulesDep(text: string): ModulesDep {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const deps = line.slice(colon + 1).trim();
    map.set(line.slice(0, colon), deps ? deps.split(/\s+/) : []);
  }
  return map;
}

/** The module name of a path: kernel/drivers/net/virtio_net.ko.xz → virtio_net (dashes and underscores are one). */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

/**
 * Every module file needed to load the named modules, dependencies first.
 * Returns also the names it could not find (e.g. built-in, or a typo).
 */
export function moduleClosure(dep: ModulesDep, names: readonly string[]): { paths: string[]; unknown: string[] } {
  const byName = new Map<string, string>();
  for (const path of dep.keys()) byName.set(moduleName(path), path);
  const ordered: string[] = [];
  const seen = new Set<string>();
  const unknown: string[] = [];
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const d of dep.get(path) ?? []) visit(d);
    ordered.push(path);
  };
  for (const name of names) {
    const path = byName.get(name.replace(/-/g, '_'));
    if (path) visit(path);
    else unknown.push(name);
  }
  return { paths: ordered, unknown };
}
