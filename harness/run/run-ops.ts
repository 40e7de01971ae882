import { InfraError } from '../util/errors.js';
import { probe } from '../util/process.js';
import { memoJson, onPath } from '../util/identity-memo.js';
import { BUILD_PACKAGES, ensurePackages, REQUIRED_PACKAGES } from '../local-host/packages.js';
import { QEMU_BINARY, qemuVersion } from '../local-host/qemu-binary.js';
import { hostAccel, resolveAccel } from '../local-host/accel.js';
import { probeHostCapabilities, type HostCapabilities } from '../local-host/capabilities.js';
import { DEFAULT_DEBIAN_KERNEL, debianDefaultKernel, debianKernel } from '../kernel/debian-kernel.js';
import { bootableKernel } from '../kernel/pvh-vmlinux.js';
import { prebuiltKernel } from '../kernel/prebuilt-kernel.js';
import type { KernelArtifact } from '../kernel/kernel-artifact.js';
import { artifactFromDir, buildKernel } from '../kbuild/build-kernel.js';
import { ensureLabKeys, type LabKeys } from '../guest/lab-keys.js';
import { buildWorkload } from '../image/workloads.js';
import { buildInitramfs, type InitramfsInputs } from '../image/initramfs.js';
import { buildRootfs, type RootfsImage } from '../image/rootfs.js';
import { startGuest, type BootRequest } from '../vm/boot-guest.js';
import { startLibvirtGuest } from '../vm/libvirt-guest.js';
import type { GuestHandle } from '../vm/guest-handle.js';
import type { Accel } from '../vm/machine-plan.js';
import { connectHost, probeHost } from '../libvirt/host-connection.js';
import type { RunPlan } from './run-plan.js';
import { recordKeptGuest, writeFastPath, type KeptGuest } from '../kept/kept-guests.js';
import { startMaster } from '../kept/kept-ops.js';
import type { SnapshotOps } from './snapshot-stage.js';
import { planMachine } from '../vm/machine-plan.js';
import { tcgThreads } from '../vm/boot-guest.js';
import {
  dropSnapshot,
  fileIdentity,
  findSnapshot,
  publishSnapshot,
  snapshotIntact,
  snapshotKey,
  stagingFor,
} from '../vm/snapshot-store.js';

/** Where guests run and how fast: the machine's host (this one's QEMU, or a libvirt host) as probed. */
export interface MachineHost {
  accel: Accel;
  accelReason: string;
  capabilities: HostCapabilities;
  /** The libvirt host's name; none for this machine's QEMU. */
  name?: string;
  /** Its URI, for the stage line. */
  uri?: string;
  boot(req: Omit<BootRequest, 'qemu'>): Promise<GuestHandle>;
  close(): Promise<void>;
  /** Saved booted guests this host can start from (QEMU here); none: every run boots. */
  snapshots?: SnapshotOps;
}

/** Initramfs as the image stage reports it. */
export type BuiltImage = { path: string; key: string; cached: boolean; damaged?: boolean };

/**
 * Every side effect a run has, behind one interface: the run's orchestration (run-suite.ts) is plain
 * control flow over these, and its unit tests swap them for fakes (as kunit_tool's tests swap
 * LinuxSourceTree's operations), so no QEMU, make or apt is needed to test it.
 */
export interface RunOps {
  /** Installs the host packages a run (or a build) needs; names those it installed. */
  ensurePackages(which: 'run' | 'build'): Promise<string[]>;
  kernel(plan: RunPlan): Promise<KernelArtifact>;
  /** Where the guest runs, with its accelerator decided (and the host's capabilities read). */
  machineHost(plan: RunPlan, kernel: KernelArtifact): Promise<MachineHost>;
  workloads(names: readonly string[]): Promise<Record<string, string>>;
  keys(): Promise<LabKeys>;
  initramfs(inp: Omit<InitramfsInputs, 'busybox' | 'dropbear'>): Promise<BuiltImage>;
  rootfs(image: string, keys: LabKeys): Promise<RootfsImage>;
  /** The file QEMU boots: the PVH vmlinux when the kernel has the entry, else the bzImage. */
  bootable(kernel: KernelArtifact): Promise<{ path: string; pvh: boolean }>;
  /** Records a guest left running for the user (`--keep-guest`, `lab up`). */
  keepGuest?(g: Omit<KeptGuest, 'qemu'> & { pid: number }): Promise<void>;
}

/** Snapshots in this machine's cache, for its QEMU (version `qemuVersion`). */
function localSnapshots(cache: string, qemuVersion: string): SnapshotOps {
  return {
    async key(req) {
      const machine = planMachine({ ...req, extraCmdline: req.extraCmdline ?? [] });
      const files = { kernel: fileIdentity(req.kernel), ...(req.initrd ? { initrd: fileIdentity(req.initrd) } : {}) };
      return snapshotKey({ machine, files, qemuVersion, tcgThreads: tcgThreads() });
    },
    find: (key) => findSnapshot(cache, key),
    stage: (key) => stagingFor(cache, key),
    publish: (staged, o) => publishSnapshot(cache, staged, { ...o, qemu: qemuVersion }),
    drop: dropSnapshot,
    intact: snapshotIntact,
  };
}

/** The real operations: this machine's packages, caches, builds and QEMU (or a libvirt host). */
export function localRunOps(cache: string, log: (line: string) => void): RunOps {
  return {
    ensurePackages: (which) =>
      ensurePackages(
        (which === 'run' ? REQUIRED_PACKAGES : BUILD_PACKAGES).map((p) => p.name),
        log,
      ),
    async kernel(plan) {
      const choice = plan.kernel;
      if (choice.kind === 'prebuilt') return prebuiltKernel(choice.path, choice.modules, choice.kconfig);
      if (choice.kind === 'built') return artifactFromDir(choice.artifactDir);
      if (plan.series) {
        await this.ensurePackages('build');
        const tree = choice.kind === 'series' ? choice.tree : undefined;
        const b = await buildKernel({
          series: plan.series.spec,
          seriesFile: plan.series.file,
          ...(tree ? { tree } : {}),
          cache,
          log,
        });
        return b.artifact;
      }
      const id = (choice.kind === 'debian' ? choice.id : undefined) ?? plan.guest.kernel ?? DEFAULT_DEBIAN_KERNEL;
      return debianKernel(cache, id, { log });
    },
    async machineHost(plan, kernel) {
      // KVM usability is the host's, not the kernel's: probed with the one stock kernel, so the verdict
      // is cached once per host boot rather than once per kernel built.
      const probeKernel =
        plan.kernel.kind === 'debian'
          ? kernel.vmlinuz
          : await debianDefaultKernel(cache, { log }).then(
              (k) => k.vmlinuz,
              () => kernel.vmlinuz,
            );
      const spec = plan.host;
      if (spec) {
        const conn = await connectHost(spec);
        try {
          const probed = await probeHost(conn, cache, probeKernel);
          const a = hostAccel(plan.guest.accel, probed);
          return {
            accel: a.accel,
            accelReason: a.reason,
            capabilities: probed.capabilities,
            name: spec.name,
            uri: spec.uri,
            boot: (req) => startLibvirtGuest({ ...req, qemu: QEMU_BINARY }, conn),
            close: () => conn.close(),
          };
        } catch (e) {
          await conn.close();
          throw e;
        }
      }
      const qv = await qemuVersion(QEMU_BINARY);
      if (!qv) throw new InfraError(`${QEMU_BINARY} not found`, 'run `lab setup`');
      const a = await resolveAccel(plan.guest.accel, {
        cache,
        qemu: QEMU_BINARY,
        qemuVersion: qv,
        vmlinuz: probeKernel,
      });
      return {
        ...(plan.snapshots === 'off' ? {} : { snapshots: localSnapshots(cache, qv) }),
        accel: a.accel,
        accelReason: a.reason,
        capabilities: probeHostCapabilities(),
        boot: (req) => startGuest({ ...req, qemu: QEMU_BINARY }),
        close: async () => {},
      };
    },
    async workloads(names) {
      const gcc = onPath('gcc');
      const gccVersion = await memoJson(cache, 'gcc -dumpfullversion', gcc ? [gcc] : [], async () =>
        (await probe(['gcc', '-dumpfullversion'])).stdout.trim(),
      );
      const out: Record<string, string> = {};
      for (const w of names) out[w] = await buildWorkload(cache, w, gccVersion);
      return out;
    },
    keys: () => ensureLabKeys(cache),
    initramfs: (inp) => buildInitramfs(cache, { ...inp, busybox: '/bin/busybox', dropbear: '/usr/sbin/dropbear' }),
    rootfs: (image, keys) => buildRootfs(cache, image, keys, log),
    bootable: (kernel) => bootableKernel(kernel.vmlinuz, kernel.config),
    async keepGuest(g) {
      const kept = recordKeptGuest(cache, g);
      // The master connection `lab exec` goes through without starting node (./lab's fast path).
      const sshControl = await startMaster(cache, kept);
      if (sshControl) writeFastPath(cache, recordKeptGuest(cache, { ...g, sshControl }));
    },
  };
}
