import { claimRunDir, recordDomain, RUN_DIR_PREFIX } from './leftovers.js';
import { trackDomain, untrackDomain } from './reaper.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../util/errors.js';
import { delay } from '../util/abort.js';
import { GuestSsh } from '../guest/ssh-session.js';
import type { HostConnection } from '../libvirt/host-connection-types.js';
import { RunningGuest, type BootRequest, type GuestMachine } from './boot-guest.js';
import { buildDomainXml } from './domain-xml.js';
import { freeLoopbackPort } from './free-port.js';

/** Domain names the lab made: transient, so nothing is left defined when they end. */
let serial = 0;
const domainName = () => `damon-lab-${process.pid}-${Date.now().toString(36)}-${serial++}`;

/**
 * A libvirt domain as a guest machine. The binding has no event loop, so the end is found by polling
 * the domain's state: a transient domain that powered off, rebooted or crashed (all "destroy") is gone.
 * The QEMU log libvirt keeps for the domain stands in for QEMU's stderr.
 */
function libvirtMachine(
  conn: HostConnection,
  dom: { getInfo(): Promise<{ state: number }>; destroy(): Promise<void> },
  name: string,
  onEnd: () => Promise<void>,
): GuestMachine {
  let stderr = '';
  let byGuest = true;
  const ended = (async () => {
    for (;;) {
      try {
        const info = await dom.getInfo();
        if (info.state === 5 /* SHUTOFF */) break;
        if (info.state === 6 /* CRASHED */) {
          byGuest = false;
          break;
        }
        // QEMU pauses a guest on a KVM internal error: for the lab that machine is dead.
        if (info.state === 3 /* PAUSED */) {
          byGuest = false;
          await dom.destroy().catch(() => {});
          break;
        }
      } catch {
        break; // "Domain not found": the transient domain is gone
      }
      await delay(200); // a watcher: it must see the domain end, Ctrl-C or not
    }
    const log = await conn.link.exec(['tail', '-n', '20', `/var/log/libvirt/qemu/${name}.log`]).catch(() => undefined);
    stderr = log?.code === 0 ? log.stdout : '';
    await onEnd();
    return 'domain ended';
  })();
  return {
    ended,
    // A transient domain that vanished may have powered off or been destroyed from outside: libvirt's
    // state cannot tell them apart once it is gone, so only a crash or a KVM pause counts as the host's.
    endedByGuest: () => byGuest,
    stderr: () => stderr,
    quit: () => dom.destroy(),
    kill: () => dom.destroy(),
  };
}

/**
 * Boots the request as a transient libvirt domain on the connection's host: the kernel, initramfs and
 * root disk are put on the host first (once per content), the console is written to a file there (and
 * followed into the local run dir), and SSH is forwarded from the host's loopback (reached through the
 * host's SSH for a remote host).
 */
export async function startLibvirtGuest(req: BootRequest, conn: HostConnection): Promise<RunningGuest> {
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  claimRunDir(runDir);
  const consoleLog = join(runDir, 'console.log');
  writeFileSync(consoleLog, '');
  const workdir = await conn.link.privateDir(conn.spec.workdir);
  const files = join(workdir, 'files');
  const put = async (p: string | undefined) => (p ? (await conn.link.put(p, files)).path : undefined);
  const [kernel, initrd, rootDisk] = [await put(req.kernel), await put(req.initrd), await put(req.rootDisk)];
  for (let attempt = 0; ; attempt++) {
    const name = domainName();
    const hostRunDir = conn.link.local ? runDir : `${workdir}/runs/${name}`;
    if (!conn.link.local) await conn.link.exec(['mkdir', '-p', hostRunDir]);
    // A free port here is known; on a remote host a random one is tried, and another if it was taken.
    const sshPort = req.consoleOnly
      ? undefined
      : conn.link.local
        ? await freeLoopbackPort()
        : 20000 + Math.floor(Math.random() * 40000);
    const plan = buildDomainXml({
      name,
      guest: req.guest,
      accel: req.accel,
      kernel: kernel!,
      consoleLog: `${hostRunDir}/console.log`,
      extraCmdline: req.extraCmdline ?? [],
      ...(initrd ? { initrd } : {}),
      ...(rootDisk ? { rootDisk } : {}),
      ...(sshPort === undefined ? {} : { sshPort }),
    });
    // Tracked (and its name recorded in the run dir) before it exists: libvirt shows a domain before
    // domainCreateXML returns, and a lab SIGKILLed in that window must still leave its name for the next
    // command's sweep (destroying a name that never came to exist is harmless). A second Ctrl-C
    // destroys it on the way out.
    trackDomain(conn.spec.uri, name);
    recordDomain(runDir, conn.spec.uri, name);
    let dom;
    try {
      dom = await conn.hv.domainCreateXML(plan.xml);
    } catch (e) {
      untrackDomain(conn.spec.uri, name);
      const msg = (e as Error).message;
      if (!conn.link.local) await conn.link.exec(['rm', '-rf', hostRunDir]).catch(() => {});
      if (/host forwarding rule/.test(msg) && attempt < 3) continue;
      throw new InfraError(`host ${conn.spec.name}: libvirt could not start the guest: ${msg}`, plan.xml);
    }
    const stopFollow = conn.link.local ? () => {} : await conn.link.follow(`${hostRunDir}/console.log`, consoleLog);
    const machine = libvirtMachine(conn, dom, name, async () => {
      untrackDomain(conn.spec.uri, name);
      await delay(300); // the last console bytes on their way
      stopFollow();
      if (!conn.link.local) await conn.link.exec(['rm', '-rf', hostRunDir]).catch(() => {});
    });
    void GuestSsh.preload();
    return new RunningGuest(
      {
        consoleLog,
        cmdline: plan.cmdline,
        domainXml: plan.xml,
        host: conn.spec.name,
        ...(sshPort === undefined ? {} : { sshPort }),
      },
      req.accel,
      runDir,
      machine,
      req.onFinding,
      conn.link.local ? undefined : (p) => conn.link.dial(p),
    );
  }
}
