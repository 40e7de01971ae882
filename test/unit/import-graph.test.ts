// The module graph of harness/ and suites/ has no cycles (type-only imports included): a record type
// lives in its own file, so a runner and its report writer both import it and not each other.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Pure: the strongly connected components with more than one module (Tarjan, iterative enough for this size). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

t.test('cycles: found in a small graph, none in a tree', async (t) => {
  t.same(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
        ['d', ['a']],
      ]),
    ),
    [['a', 'b', 'c']],
  );
  t.same(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    ),
    [],
  );
});

t.test("no import cycles among the lab's modules (static imports, type-only ones included)", async (t) => {
  const files = [...tsFiles(join(repo, 'harness')), ...tsFiles(join(repo, 'suites'))];
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gm)) {
      deps.push(resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts')));
    }
    graph.set(f, deps);
  }
  t.same(
    cycles(graph).map((c) => c.map((f) => relative(repo, f))),
    [],
  );
});

/** Every module's imports (relative ones resolved to repo paths, packages and node: modules as named). */
function importsOf(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of [...tsFiles(join(repo, 'harness')), ...tsFiles(join(repo, 'suites'))]) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      deps.push(spec.startsWith('.') ? relative(repo, resolve(dirname(f), spec.replace(/\.js$/, '.ts'))) : spec);
    }
    out.set(relative(repo, f), deps);
  }
  return out;
}

t.test(
  'the layering the README promises: no stage imports cli/; readers and writers start no process; vm/ knows no suite',
  async (t) => {
    const graph = importsOf();
    const offenders = (from: (f: string) => boolean, bad: (dep: string) => boolean) =>
      [...graph].filter(([f]) => from(f)).flatMap(([f, deps]) => deps.filter(bad).map((d) => `${f} → ${d}`));
    t.same(
      offenders(
        (f) => !f.startsWith('harness/cli/'),
        (d) => d.startsWith('harness/cli/'),
      ),
      [],
      'exit codes and the terminal belong to cli/ alone: stages return or throw outcomes',
    );
    const processes = (d: string) =>
      ['execa', 'zx', 'node:child_process', 'ssh2'].includes(d) || d === 'harness/util/process.ts';
    t.same(
      offenders((f) => /^harness\/(results|report)\//.test(f), processes),
      [],
      'parsers and report writers start no process',
    );
    t.same(
      offenders(
        (f) => f.startsWith('harness/vm/'),
        (d) => /^(harness\/suites|suites)\//.test(d),
      ),
      [],
      'the machine layer knows no suite',
    );
    t.same(
      offenders((f) => f === 'harness/run/run-plan.ts' || f === 'harness/run/run-results.ts', processes),
      [],
      'planning and collecting are pure',
    );
  },
);
