import type { Options } from 'execa';
import { InfraError } from './errors.js';

/**
 * execa, loaded on first use: importing it costs ~80 ms, and a warm `lab run` starts QEMU before it needs a
 * process of its own (node's spawn starts QEMU).
 */
export function loadExeca(): Promise<typeof import('execa').execa> {
  return import('execa').then((m) => m.execa);
}

/** Runs a command given as an argv array (never a shell string) and returns stdout; throws InfraError naming it. */
export async function run(argv: readonly string[], options: Options = {}): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty argv');
  try {
    const execa = await loadExeca();
    const r = await execa(file, args, { stripFinalNewline: true, ...options });
    return typeof r.stdout === 'string' ? r.stdout : '';
  } catch (e) {
    const err = e as { code?: string; shortMessage?: string; stderr?: unknown; message: string };
    if (err.code === 'ENOENT') throw new InfraError(`${file}: command not found (run \`lab setup\` to install it)`);
    const stderr = typeof err.stderr === 'string' ? err.stderr.split('\n').slice(-15).join('\n') : '';
    throw new InfraError(err.shortMessage ?? err.message, stderr || undefined);
  }
}

/** Like run(), but a non-zero exit is an answer, not an error. */
export async function probe(
  argv: readonly string[],
  options: Options = {},
): Promise<{ ok: boolean; stdout: string; stderr: string; exitCode: number | undefined }> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty argv');
  const execa = await loadExeca();
  const r = await execa(file, args, { reject: false, stripFinalNewline: true, ...options });
  return {
    ok: r.exitCode === 0 && !r.failed,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    exitCode: r.exitCode,
  };
}
