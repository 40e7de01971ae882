import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, repoRoot } from '../util/paths.js';
import { QEMU_BINARY } from '../local-host/qemu-binary.js';
import { rawBootToShell } from './raw-boot.js';
import { labRun } from './lab-run.js';
import { argvAfter, fmtSeconds, median } from './stats.js';

const lab = join(repoRoot(), 'lab');

/**
 * `npm run bench -- loop`: the developer's loop against what it wraps, side by side. `lab exec NAME -- true` on a
 * kept guest against the raw `ssh -S` through the same master connection (target: under 50 ms), and
 * `lab shell -c 'uname -r'` (a guest booted, or restored, for one command and stopped) against a raw QEMU boot of
 * the same kernel and initramfs to the same command (target ≤ 1.3×).
 */
export async function loopBench(reps: number): Promise<void> {
  console.log(`== the developer's loop; ${reps} repetitions (exec: ${reps * 4} calls), interleaved`);
  const warm = await labRun('boot'); // the image and the snapshot
  const name = `bench-${process.pid}`;
  await execa(lab, ['up', name, '--quiet']);
  try {
    const fast = readFileSync(join(cacheRoot(), 'guests', `${name}.ssh`), 'utf8').split('\n');
    const [port, control] = [fast[0]!, fast[1]!];
    const execTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let i = 0; i < reps * 4; i++) {
      rawTimes.push(
        await timed(() =>
          execa('ssh', [
            '-F',
            '/dev/null',
            '-S',
            control,
            '-o',
            'ControlMaster=no',
            '-p',
            port,
            'root@127.0.0.1',
            'true',
          ]),
        ),
      );
      execTimes.push(await timed(() => execa(lab, ['exec', name, '--', 'true'])));
    }
    show('raw ssh -S (the master connection) true', rawTimes);
    show(`lab exec ${name} -- true`, execTimes);
    const e = median(execTimes);
    console.log(
      `lab exec on a kept guest: ${(e * 1000).toFixed(0)} ms (target < 50 ms: ${e < 0.05 ? 'met' : 'NOT met'}); ${(e / median(rawTimes)).toFixed(2)}× the raw ssh`,
    );
  } finally {
    await execa(lab, ['down', name], { reject: false });
  }

  const pvh = argvAfter(warm.summary.guest!.argv!, ['-kernel'])[1]!;
  const initrd = warm.summary.image!.path;
  const accelArgs = argvAfter(warm.summary.guest!.argv!, ['-accel', '-cpu']);
  const shellTimes: number[] = [];
  const rawBoot: number[] = [];
  for (let i = 0; i < reps; i++) {
    rawBoot.push(
      await rawBootToShell({
        qemu: QEMU_BINARY,
        kernel: pvh,
        initrd,
        cpus: 2,
        memoryMiB: 1024,
        accelArgs,
        command: 'uname -r',
      }),
    );
    shellTimes.push(await timed(() => execa(lab, ['shell', '-c', 'uname -r'], { stdin: 'ignore' })));
  }
  show("raw QEMU boot (PVH) to 'uname -r' and poweroff", rawBoot);
  show("lab shell -c 'uname -r' (no guest running)", shellTimes);
  const r = median(shellTimes) / median(rawBoot);
  console.log(
    `ratio lab shell -c / raw boot to the command: ${r.toFixed(2)} (target ≤ 1.30: ${r <= 1.3 ? 'met' : 'NOT met'})`,
  );
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

function show(label: string, xs: number[]): void {
  console.log(`${label.padEnd(48)} median ${fmtSeconds(median(xs))}  [${xs.map((x) => x.toFixed(3)).join(' ')}]`);
}
