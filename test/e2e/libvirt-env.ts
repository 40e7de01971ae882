import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { lab, alive } from './lab-cli.js';
import { freeLoopbackPort } from '../../harness/vm/free-port.js';

/**
 * A real libvirt for the tests, started here and stopped after: virtlogd and libvirtd from Debian's
 * libvirt-daemon-system, started directly (no systemd), with private configs (qemu.conf is bind-mounted
 * over /etc/libvirt/qemu.conf inside libvirtd's own mount namespace, so no system file changes), and
 * a loopback-only sshd with keys of its own, so the same libvirtd is also a "remote" host through
 * qemu+ssh://. Two hosts in a lab config: lv-local (qemu:///system) and lv-ssh (qemu+ssh://127.0.0.1).
 */
export interface LibvirtEnv {
  dir: string;
  labConfig: string;
  stop(): Promise<void>;
}

const pidOf = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined);

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startLibvirtEnv(): Promise<LibvirtEnv> {
  const setup = await lab(['setup', '--libvirt']);
  if (setup.exitCode !== 0) throw new Error(`lab setup --libvirt failed:\n${setup.all}`);
  const running = await execa('pidof', ['libvirtd'], { reject: false });
  if (running.stdout.trim())
    throw new Error(`a libvirtd not started by these tests is running (pid ${running.stdout.trim()}); stop it first`);

  const dir = mkdtempSync(join(tmpdir(), 'lab-libvirt-'));
  for (const d of ['run', 'logs', 'ssh', 'etc', 'host-local', 'host-ssh']) mkdirSync(join(dir, d), { recursive: true });
  const f = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const virtlogdConf = f('etc/virtlogd.conf', `log_level=3\nlog_outputs="3:file:${dir}/logs/virtlogd.log"\n`);
  const libvirtdConf = f(
    'etc/libvirtd.conf',
    `unix_sock_group="root"\nunix_sock_rw_perms="0770"\nauth_unix_ro="none"\nauth_unix_rw="none"\nlog_level=3\nlog_outputs="3:file:${dir}/logs/libvirtd.log"\n`,
  );
  // QEMU as root (the lab's files live under /root), no relabelling of them, no cgroups to delegate here.
  const qemuConf = f(
    'etc/qemu.conf',
    'user="root"\ngroup="root"\ndynamic_ownership=0\nremember_owner=0\nsecurity_driver="none"\ncgroup_controllers=[ ]\n',
  );
  const pids = {
    virtlogd: join(dir, 'run/virtlogd.pid'),
    libvirtd: join(dir, 'run/libvirtd.pid'),
    sshd: join(dir, 'run/sshd.pid'),
  };

  const stop = async () => {
    // Guests first: a stopped libvirtd leaves its QEMUs running.
    if (pidOf(pids.libvirtd)) {
      const list = await execa('virsh', ['-c', 'qemu:///system', 'list', '--name'], { reject: false });
      for (const dom of list.stdout
        .split('\n')
        .map((x) => x.trim())
        .filter((x) => x.startsWith('damon-lab-'))) {
        await execa('virsh', ['-c', 'qemu:///system', 'destroy', dom], { reject: false });
      }
    }
    for (const file of [pids.libvirtd, pids.virtlogd, pids.sshd]) {
      const pid = pidOf(file);
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGTERM');
        await waitGone(pid);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await execa('virtlogd', ['-d', '-f', virtlogdConf, '-p', pids.virtlogd]);
    await execa('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" /etc/libvirt/qemu.conf && exec /usr/sbin/libvirtd -d -f "$2" -p "$3"',
      'sh',
      qemuConf,
      libvirtdConf,
      pids.libvirtd,
    ]);
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = (await execa('virsh', ['-c', 'qemu:///system', 'version'], { reject: false })).exitCode === 0;
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    if (!up)
      throw new Error(`libvirtd did not answer:\n${readFileSync(join(dir, 'logs/libvirtd.log'), 'utf8').slice(-2000)}`);

    // sshd on loopback with its own host key; the client key is the lab's key for this host.
    const ssh = (n: string) => join(dir, 'ssh', n);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ssh('host_ed25519')]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ssh('client_ed25519')]);
    writeFileSync(ssh('authorized_keys'), readFileSync(ssh('client_ed25519.pub')));
    chmodSync(ssh('authorized_keys'), 0o600);
    const port = await freeLoopbackPort();
    writeFileSync(
      ssh('known_hosts'),
      `[127.0.0.1]:${port} ${readFileSync(ssh('host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
    );
    const sshdConfig = f(
      'ssh/sshd_config',
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${ssh('host_ed25519')}`,
        `PidFile ${pids.sshd}`,
        `AuthorizedKeysFile ${ssh('authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
    );
    // libvirt's ssh transport runs this ssh: the private known_hosts, never a prompt.
    const wrap = f(
      'ssh/ssh-wrap',
      `#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -o UserKnownHostsFile=${ssh('known_hosts')} -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ConnectTimeout=10 "$@"\n`,
    );
    chmodSync(wrap, 0o755);
    mkdirSync('/run/sshd', { recursive: true });
    await execa('/usr/sbin/sshd', ['-f', sshdConfig, '-E', join(dir, 'logs/sshd.log')]);
    for (let i = 0; i < 50 && !pidOf(pids.sshd); i++) await new Promise((r) => setTimeout(r, 100));

    const sshUri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${ssh('client_ed25519')}&known_hosts=${ssh('known_hosts')}&no_tty=1&command=${wrap}`;
    const labConfig = f(
      'lab.yaml',
      [
        'hosts:',
        '  - name: lv-local',
        '    uri: qemu:///system',
        `    workdir: ${dir}/host-local`,
        '  - name: lv-ssh',
        `    uri: "${sshUri}"`,
        `    workdir: ${dir}/host-ssh`,
        '    max_guests: 1',
        '',
      ].join('\n'),
    );
    return { dir, labConfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
