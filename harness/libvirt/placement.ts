import { unmetReason, type HostCapabilities, type Requirement } from '../local-host/capabilities.js';
import type { GuestSpec } from '../schema/guest.js';
import type { HostSpec } from '../schema/lab-config.js';

/** A host with what its probes found: the accelerator its guests get and the CPU/PMU facts. */
export interface ProbedHost {
  spec: HostSpec;
  accel: 'kvm' | 'tcg';
  accelReason: string;
  capabilities: HostCapabilities;
}

/** What placement needs to know of a cell. */
export interface CellNeeds {
  id: string;
  requires: readonly Requirement[];
  guest: Pick<GuestSpec, 'pmu' | 'numa'>;
}

export type Placement = { host: string } | { skip: string };

/** Pure: why a host cannot run the cell (one reason per unmet requirement), empty when it can. */
export function hostUnmet(cell: CellNeeds, host: ProbedHost): string[] {
  return cell.requires
    .map((r) =>
      unmetReason(r, {
        accel: host.accel,
        accelReason: host.accelReason,
        host: host.capabilities,
        guestPmu: cell.guest.pmu,
        guestNumaNodes: cell.guest.numa?.length ?? 1,
      }),
    )
    .filter((x): x is string => x !== undefined);
}

/**
 * Pure: each cell on a host that meets its requires:, spread by load (cells already placed per guest
 * slot), ties to the host listed first. A cell no host can run is SKIP with every host's reason, so
 * the report says what hardware the cell is waiting for.
 */
export function placeCells(cells: readonly CellNeeds[], hosts: readonly ProbedHost[]): Map<string, Placement> {
  const load = new Map(hosts.map((h) => [h.spec.name, 0]));
  const out = new Map<string, Placement>();
  for (const cell of cells) {
    const eligible = hosts.filter((h) => hostUnmet(cell, h).length === 0);
    if (!eligible.length) {
      const why = hosts.map((h) => `${h.spec.name}: ${hostUnmet(cell, h).join('; ')}`);
      out.set(cell.id, {
        skip: hosts.length
          ? `no host meets requires: ${cell.requires.join(', ')} (${why.join(' | ')})`
          : 'no hosts in the lab config',
      });
      continue;
    }
    const best = eligible.reduce((a, b) =>
      load.get(b.spec.name)! / b.spec.max_guests < load.get(a.spec.name)! / a.spec.max_guests ? b : a,
    );
    load.set(best.spec.name, load.get(best.spec.name)! + 1);
    out.set(cell.id, { host: best.spec.name });
  }
  return out;
}
