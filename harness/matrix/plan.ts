import type { KernelAxisSpec, MatrixSpec } from '../schema/matrix.js';

/** A distinct kernel the matrix needs: built once, shared by every cell that names it. */
export interface PlannedKernel {
  /** "debian", "debian-7.2", "<series>" or "<series>+<fragment>+...". */
  id: string;
  /** A Debian prebuilt kernel's id (fetched, not built). */
  debian?: string;
  series?: string;
  /** Fragments added on top of the series' own. */
  configs: string[];
}

export interface PlannedCell {
  /** "<kernel>/<guest>/<suite>": unique in the matrix, a stable key for baselines. */
  id: string;
  kernel: string;
  guest: string;
  suite: string;
  timeout: number;
  retries: number;
  /** Times the cell runs (each run with its own retries). */
  runs: number;
}

export interface MatrixPlan {
  kernels: PlannedKernel[];
  cells: PlannedCell[];
}

/** Pure: the id a kernel axis entry goes by in cells, rules and reports. */
export function kernelId(k: KernelAxisSpec): string {
  return typeof k === 'string' ? k : [k.series, ...k.configs].join('+');
}

type Match = { kernel?: string | undefined; guest?: string | undefined; suite?: string | undefined };
const matches = (m: Match, c: { kernel: string; guest: string; suite: string }) =>
  (m.kernel === undefined || m.kernel === c.kernel) &&
  (m.guest === undefined || m.guest === c.guest) &&
  (m.suite === undefined || m.suite === c.suite);

/**
 * Pure: the cells of a matrix, in a stable order (kernels, then guests, then suites, as written; included
 * cells last), with excluded cells dropped and per-cell overrides applied (the last matching one wins).
 * Only kernels some cell uses are planned. Throws on rules that name nothing, which are always typos.
 */
export function planMatrix(spec: MatrixSpec): MatrixPlan {
  const kernels = new Map<string, PlannedKernel>();
  for (const k of spec.kernels) {
    const id = kernelId(k);
    if (kernels.has(id)) throw new Error(`kernels: '${id}' is listed twice`);
    kernels.set(
      id,
      typeof k === 'string' ? { id, debian: k, configs: [] } : { id, series: k.series, configs: k.configs },
    );
  }
  if (spec.baseline !== undefined && !kernels.has(spec.baseline))
    throw new Error(
      `baseline: '${spec.baseline}' is not one of the matrix's kernels (${[...kernels.keys()].join(', ')})`,
    );
  const known = { kernel: new Set(kernels.keys()), guest: new Set(spec.guests), suite: new Set(spec.suites) };
  for (const [i, rule] of spec.exclude.entries()) {
    for (const axis of ['kernel', 'guest', 'suite'] as const) {
      const v = rule[axis];
      if (v !== undefined && !known[axis].has(v))
        throw new Error(
          `exclude[${i}].${axis}: '${v}' is not one of the matrix's ${axis}s (${[...known[axis]].join(', ')})`,
        );
    }
  }
  for (const [i, inc] of spec.include.entries()) {
    if (!kernels.has(inc.kernel))
      throw new Error(
        `include[${i}].kernel: '${inc.kernel}' is not one of the matrix's kernels (${[...kernels.keys()].join(', ')})`,
      );
  }
  const raw: Array<{ kernel: string; guest: string; suite: string }> = [];
  for (const kernel of kernels.keys())
    for (const guest of spec.guests) for (const suite of spec.suites) raw.push({ kernel, guest, suite });
  const kept = raw.filter((c) => !spec.exclude.some((rule) => matches(rule, c)));
  for (const inc of spec.include)
    if (!kept.some((c) => c.kernel === inc.kernel && c.guest === inc.guest && c.suite === inc.suite)) kept.push(inc);
  const cells = kept.map((c): PlannedCell => {
    let timeout = spec.timeout;
    let retries = spec.retries;
    let runs = spec.runs;
    for (const o of spec.overrides) {
      if (!matches(o, c)) continue;
      if (o.timeout !== undefined) timeout = o.timeout;
      if (o.retries !== undefined) retries = o.retries;
      if (o.runs !== undefined) runs = o.runs;
    }
    return { id: `${c.kernel}/${c.guest}/${c.suite}`, ...c, timeout, retries, runs };
  });
  const used = new Set(cells.map((c) => c.kernel));
  return { kernels: [...kernels.values()].filter((k) => used.has(k.id)), cells };
}

/** Pure: the plan as the text `lab matrix plan` prints. */
export function formatPlan(name: string, plan: MatrixPlan, hosts: readonly string[] = []): string {
  const runs = plan.cells.reduce((n, c) => n + c.runs, 0);
  const lines = [
    `matrix ${name}: ${plan.kernels.length} kernel(s) to build, ${plan.cells.length} cell(s) to boot and run${runs > plan.cells.length ? ` (${runs} runs)` : ''}`,
  ];
  lines.push(
    hosts.length
      ? `runs on libvirt hosts ${hosts.join(', ')}: each cell on one that meets its suite's requires: (probed at run time)`
      : 'runs on the local QEMU pool',
  );
  lines.push('', 'builds:');
  for (const k of plan.kernels) {
    const n = plan.cells.filter((c) => c.kernel === k.id).length;
    lines.push(
      `  ${k.id.padEnd(32)} ${k.series ? `series ${k.series}${k.configs.length ? ` + ${k.configs.join(' + ')}` : ''}` : 'stock Debian kernel (no build)'}; shared by ${n} cell(s)`,
    );
  }
  lines.push('', 'cells:');
  for (const c of plan.cells)
    lines.push(
      `  ${c.id.padEnd(56)} ${c.runs > 1 ? `${c.runs} runs, ` : ''}timeout ${c.timeout} s, retries ${c.retries}`,
    );
  return lines.join('\n');
}

/**
 * Pure: how many guests may run at once. Under TCG each guest keeps about one host core busy (single-
 * threaded TCG), so cores bound it; memory bounds it too, with a reserve for the host and the builds.
 */
export function poolLimit(o: {
  cores: number;
  freeMiB: number;
  guestMiB: number;
  reserveMiB?: number;
  override?: number;
}): number {
  if (o.override !== undefined) return Math.max(1, Math.floor(o.override));
  const byMemory = Math.floor((o.freeMiB - (o.reserveMiB ?? 1024)) / Math.max(1, o.guestMiB + 256));
  return Math.max(1, Math.min(o.cores, byMemory));
}
