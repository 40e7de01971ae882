import { $ } from 'zx';

/**
 * The raw QEMU command the benches compare the lab with: what a developer would type, the serial console on
 * stdio and none of the lab's machinery.
 */
export function rawQemuArgv(o: {
  accelArgs: string[];
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initrd: string;
  append: string;
}): string[] {
  return [
    '-machine',
    'pc',
    ...o.accelArgs,
    '-smp',
    String(o.cpus),
    '-m',
    `${o.memoryMiB}M`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-append',
    o.append,
    '-serial',
    'stdio',
  ];
}

/**
 * The baseline a lab run is measured against: plain qemu-system-x86_64 with the same kernel and initramfs,
 * booted to a busybox shell on the serial console (rdinit=/bin/sh), which then runs `command` (if any) and is told
 * to power off. Returns seconds from spawn to QEMU's exit.
 */
export async function rawBootToShell(o: {
  qemu: string;
  kernel: string;
  initrd: string;
  cpus: number;
  memoryMiB: number;
  accelArgs: string[];
  timeoutMs?: number;
  command?: string;
}): Promise<number> {
  const argv = rawQemuArgv({ ...o, append: 'console=ttyS0 panic=-1 rdinit=/bin/sh' });
  const t0 = performance.now();
  const p = $({ quiet: true, nothrow: true, timeout: o.timeoutMs ?? 120000 })`${o.qemu} ${argv}`;
  let seen = '';
  let sent = false;
  p.stdout.on('data', (d: Buffer) => {
    seen += d.toString();
    // The prompt means the shell reads the console; typing before it loses characters in the UART.
    if (!sent && /\/ # /.test(seen)) {
      sent = true;
      p.stdin.write(`${o.command ? `${o.command}; ` : ''}poweroff -f\n`);
    }
  });
  const r = await p;
  if (!sent) throw new Error(`raw boot never reached a shell (exit ${r.exitCode}): ${seen.slice(-500)}`);
  return (performance.now() - t0) / 1000;
}
