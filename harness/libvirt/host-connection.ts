import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/state-file.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfraError, InputFileError } from '../util/errors.js';
import { loadYamlFile } from '../schema/load-yaml.js';
import { LabConfigSchema, type HostSpec, type LabConfig } from '../schema/lab-config.js';
import { parseLibvirtUri } from './libvirt-uri.js';
import { localLink, sshLink, type HostLink } from './host-link.js';
import { probeHostCapabilities, readCapabilities, type HostCapabilities } from '../local-host/capabilities.js';
import { judgeKvmProbe } from '../local-host/kvm-probe.js';
import type { ProbedHost } from './placement.js';
import { sleep } from '../util/abort.js';
import type { HostConnection, Hypervisor } from './host-connection-types.js';

export type { HostConnection, Hypervisor } from './host-connection-types.js';

/** The lab config: --lab-config / $LAB_CONFIG, else ~/.config/damon-lab/lab.yaml; none at all is an empty inventory. */
export function loadLabConfig(file?: string): { config: LabConfig; file?: string } {
  const path =
    file ??
    process.env.LAB_CONFIG ??
    join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'damon-lab', 'lab.yaml');
  if (!existsSync(path)) {
    if (file ?? process.env.LAB_CONFIG) throw new InputFileError(path, undefined, 'lab config not found');
    return { config: { hosts: [] } };
  }
  return { config: loadYamlFile(resolve(path), LabConfigSchema), file: resolve(path) };
}

export function findHost(config: LabConfig, name: string, file?: string): HostSpec {
  const h = config.hosts.find((x) => x.name === name);
  if (!h)
    throw new InputFileError(
      file ?? 'lab config',
      undefined,
      `no host '${name}' in the hosts inventory (known: ${config.hosts.map((x) => x.name).join(', ') || 'none'})`,
    );
  return h;
}

/**
 * The package name held in a variable of type string: the type checker then never resolves it, so a
 * machine where npm skipped the optional binding (no libvirt-dev) still compiles the lab. The
 * `Hypervisor` interface above is the whole of its API the lab relies on.
 */
const LIBVIRT_PACKAGE: string = '@unraid/libvirt';

/**
 * A hypervisor handle from the binding, or a clear error saying how to get it. The native part loads on
 * first use: a binding built against a libvirt that was removed since fails here ("libvirt.so.0: cannot
 * open shared object file"), not at import.
 */
async function openBinding(host: string, uri: string): Promise<Hypervisor> {
  try {
    const { Hypervisor } = (await import(LIBVIRT_PACKAGE)) as { Hypervisor: new (o: { uri: string }) => Hypervisor };
    return new Hypervisor({ uri });
  } catch (e) {
    throw new InfraError(
      `host ${host}: the libvirt backend needs the optional package @unraid/libvirt and the libvirt library, which are not installed or not built (${(e as Error).message.split('\n')[0]})`,
      'run `lab setup --libvirt` (installs libvirt-dev and builds the binding from source)',
    );
  }
}

export async function connectHost(spec: HostSpec): Promise<HostConnection> {
  const uri = parseLibvirtUri(spec.uri);
  const hv = await openBinding(spec.name, spec.uri);
  try {
    await hv.connectOpen();
  } catch (e) {
    throw new InfraError(
      `host ${spec.name}: cannot connect to libvirt at ${spec.uri}: ${(e as Error).message}`,
      'is libvirtd (and virtlogd) running there, and does the URI name a key that host accepts?',
    );
  }
  let link: HostLink;
  try {
    link = uri.ssh ? await sshLink(spec.name, uri) : localLink(spec.name);
  } catch (e) {
    await hv.connectClose().catch(() => {});
    throw e;
  }
  return {
    spec,
    hv,
    link,
    close: async () => {
      link.close();
      await hv.connectClose().catch(() => {});
    },
  };
}

/** The doctor's host probes, run on the host at the other end of the link (the same pure reader). */
export async function hostCapabilities(link: HostLink): Promise<HostCapabilities> {
  if (link.local) return probeHostCapabilities();
  const script = [
    'cat /proc/cpuinfo',
    'echo @@PMUS',
    'ls /sys/bus/event_source/devices 2>/dev/null',
    'echo @@MODULE',
    'for m in kvm_amd kvm_intel; do [ -d /sys/module/$m ] && echo $m; done',
    'echo @@PARAMS',
    'for m in kvm_amd kvm_intel; do for p in enable_mediated_pmu vnmi vibs; do f=/sys/module/$m/parameters/$p; [ -r $f ] && echo "$p=$(cat $f)"; done; done',
    'f=/sys/module/kvm/parameters/enable_pmu; [ -r $f ] && echo "enable_pmu=$(cat $f)"',
    'true',
  ].join('; ');
  const r = await link.exec(['sh', '-c', script]);
  const [cpuinfo = '', pmus = '', module = '', params = ''] = r.stdout.split(/^@@(?:PMUS|MODULE|PARAMS)$/m);
  const kvmParams: Record<string, string> = {};
  for (const l of params.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(l.trim());
    if (m) kvmParams[m[1]!] = m[2]!;
  }
  const mod = module.trim().split('\n')[0];
  return readCapabilities(
    cpuinfo,
    pmus.trim().split('\n').filter(Boolean).sort(),
    kvmParams,
    mod === 'kvm_amd' || mod === 'kvm_intel' ? mod : undefined,
  );
}

/**
 * KVM on that host, judged as the local probe judges it, from a test boot of the given kernel as a
 * kvm domain through the host's libvirt (a domain QEMU paused on a KVM internal error reads as unusable).
 */
async function probeHostKvm(conn: HostConnection, vmlinuz: string): Promise<{ usable: boolean; reason: string }> {
  const { startLibvirtGuest } = await import('../vm/libvirt-guest.js');
  const { GuestSpecSchema } = await import('../schema/guest.js');
  let guest;
  try {
    guest = await startLibvirtGuest(
      {
        guest: GuestSpecSchema.parse({ name: 'kvm-probe', cpus: 1, memory: 256 }),
        accel: 'kvm',
        qemu: '',
        kernel: vmlinuz,
        consoleOnly: true,
        extraCmdline: ['init=/lab-kvm-probe'],
      },
      conn,
    );
  } catch (e) {
    return { usable: false, reason: `a kvm domain would not start: ${(e as Error).message.split('\n')[0]}` };
  }
  const deadline = Date.now() + 20000;
  let text = '';
  try {
    while (Date.now() < deadline && !guest.hasExited) {
      text = guest.consoleText();
      if (/Kernel panic - not syncing|Freeing unused kernel image|Run \/init/.test(text)) break;
      await sleep(200);
    }
  } finally {
    // Ctrl-C too: the probe's domain must not outlive it.
    await guest.kill();
    guest.removeRunDir();
  }
  return judgeKvmProbe(`${guest.consoleText()}\n${guest.qemuStderr}`, Date.now() >= deadline);
}

/**
 * What the host can give cells: its capabilities and the accelerator its guests get. Cached per host
 * and host boot (read over the link), like the local KVM verdict.
 */
export async function probeHost(conn: HostConnection, cache: string, probeKernel: string): Promise<ProbedHost> {
  const bootId = (await conn.link.exec(['cat', '/proc/sys/kernel/random/boot_id'])).stdout.trim();
  const file = join(cache, 'probes', `host-${conn.spec.name}.json`);
  const key = `${conn.spec.uri}|${bootId}|${conn.spec.accel}`;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key: string; host: Omit<ProbedHost, 'spec'> };
    if (saved.key === key) return { spec: conn.spec, ...saved.host };
  }
  const capabilities = await hostCapabilities(conn.link);
  let accel: 'kvm' | 'tcg' = 'tcg';
  let accelReason = `host ${conn.spec.name} says accel: tcg`;
  if (conn.spec.accel !== 'tcg') {
    const v = await probeHostKvm(conn, probeKernel);
    if (v.usable) [accel, accelReason] = ['kvm', v.reason];
    else if (conn.spec.accel === 'kvm')
      throw new InfraError(`host ${conn.spec.name} says accel: kvm, but KVM is unusable there: ${v.reason}`);
    else accelReason = `KVM unusable on ${conn.spec.name}: ${v.reason}`;
  }
  const host = { accel, accelReason, capabilities };
  mkdirSync(join(cache, 'probes'), { recursive: true });
  writeJsonAtomic(file, { key, host });
  return { spec: conn.spec, ...host };
}
