import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseProfile } from '../../../src-main/core/profile/load';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import { shellQuote } from '../../../src-main/core/ssh/quote';
import { keyringProcesses, startKeyring } from '../../lab/keyring';
import { startLab } from '../../lab/lab';
import { ownerEntry, readLabMarker } from '../../lab/lab-dir';
import { alive, descendantsOf, processesWithEnv } from '../../lab/process-sweep';
import { requireTool } from '../../lab/tools';
import type { Lab } from '../../lab/types';
import { collect, connect, eventually, exec, httpsStatus, openExec, sleep } from './ssh-helpers';

const execFileAsync = promisify(execFile);

/** Processes carrying a lab's marker running `argv0` (e.g. the `tail` a hung stand-in waits in). */
async function labProcesses(marker: string, argv0?: string): Promise<number[]> {
  const pids = await processesWithEnv(marker);
  if (!argv0) return pids;
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === argv0;
    } catch {
      return false;
    }
  });
}

// Real sshd ×2, gnome-keyring, git, ansible-vault and the HTTPS side: the lab as the app meets it.
describe('lab (real sshd, gnome-keyring, ansible-vault, HTTPS)', () => {
  let lab: Lab;
  let hs: Client;
  const sudo = (command: string) => `sudo -S -p '' ${command}`;

  beforeAll(async () => {
    lab = await startLab({ journalIntervalSeconds: 1 });
    hs = await connect(lab.hosts.homeserver, {
      keyPath: lab.clientKeyPath,
      pinned: lab.hosts.homeserver.fingerprint,
    });
  });
  afterAll(async () => {
    hs?.end();
    await lab?.stop();
  });

  it('writes a profile the app accepts, pointing at the lab', async () => {
    const text = await readFile(lab.profilePath, 'utf8');
    expect(parse(text)).toEqual(lab.profile);
    const profile = parseProfile(text, lab.profilePath);
    // The lab lists the playbook's units itself (no zod at start-up); they must stay the app's defaults.
    expect(profile.units).toEqual([...DEFAULT_UNITS]);
    expect(profile.serverName).toBe('lab.test');
    expect(profile.hosts.homeserver).toMatchObject({
      address: lab.hosts.homeserver.address,
      port: lab.hosts.homeserver.port,
      user: 'root',
      sudo: true,
      identityFile: lab.clientKeyPath,
    });
    expect(profile.hosts.deploy.port).toBe(lab.hosts.deploy.port);
    expect(profile.vault?.deployCheckout).toBe(lab.repos.vaultDeploy);
    expect(await readFile(lab.knownHostsPath, 'utf8')).toBe(
      `${lab.hosts.homeserver.knownHostsLine}\n${lab.hosts.deploy.knownHostsLine}\n`,
    );
    const env = await readFile(join(lab.dir, 'env'), 'utf8');
    expect(env).toContain(`export LAB_DIR=${shellQuote(lab.dir)}`);
    expect(env).toContain(`export DBUS_SESSION_BUS_ADDRESS=${shellQuote(lab.env.DBUS_SESSION_BUS_ADDRESS!)}`);
    // What marks the lab's own processes stays out of the user's shell.
    expect(env).not.toContain('HOMESERVER_TRAY_LAB_OWNER');
  });

  it('lets ssh2 in with the pinned host key and logs the exact command line', async () => {
    const command = "echo \"$HOME\" && printf '%s\\n' 'two\nlines'";
    const r = await exec(hs, command);
    expect(r).toMatchObject({ code: 0, stdout: `${join(lab.hosts.homeserver.dir, 'root')}\ntwo\nlines\n` });
    expect(lab.hosts.homeserver.execLog().at(-1)).toBe(command);
    expect(lab.hosts.deploy.execLog()).not.toContain(command);
  });

  it('refuses a connection when the pinned key is not the host key', async () => {
    await expect(
      connect(lab.hosts.homeserver, { keyPath: lab.clientKeyPath, pinned: lab.hosts.deploy.fingerprint }),
    ).rejects.toThrow(/verification failed/i);
  });

  it('accepts the passphrase-protected client key with its passphrase', async () => {
    const c = await connect(lab.hosts.deploy, {
      keyPath: lab.passphraseKeyPath,
      passphrase: lab.keyPassphrase,
      pinned: lab.hosts.deploy.fingerprint,
    });
    expect((await exec(c, 'echo ok')).stdout).toBe('ok\n');
    c.end();
  });

  it('runs commands in bash --norc with the host PATH, fast once connected', async () => {
    const r = await exec(hs, 'echo "$PATH"; type -P systemctl; shopt -q login_shell && echo login');
    expect(r.stdout).toBe(
      `${lab.hosts.homeserver.dir}/bin:/usr/local/bin:/usr/bin:/bin\n${lab.hosts.homeserver.dir}/bin/systemctl\n`,
    );
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await exec(hs, 'true');
      times.push(performance.now() - t);
    }
    // No pyenv (~175 ms) on the way; generous bound for a loaded 2-core machine.
    expect(Math.min(...times)).toBeLessThan(100);
  });

  it('reaches the homeserver through the deploy host (jump)', async () => {
    const deploy = await connect(lab.hosts.deploy, {
      keyPath: lab.clientKeyPath,
      pinned: lab.hosts.deploy.fingerprint,
    });
    const sock = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      deploy.forwardOut('127.0.0.1', 0, lab.hosts.homeserver.address, lab.hosts.homeserver.port, (err, s) =>
        err ? reject(err) : resolve(s),
      ),
    );
    const viaJump = await connect(lab.hosts.homeserver, {
      keyPath: lab.clientKeyPath,
      pinned: lab.hosts.homeserver.fingerprint,
      sock,
    });
    expect((await exec(viaJump, 'systemctl is-active matrix-tuwunel')).stdout).toBe('active\n');
    viaJump.end();
    deploy.end();
  });

  it("systemctl stop 'matrix-*' turns the HTTP endpoints but well-known to 502 and exits the containers", async () => {
    const ca = await readFile(lab.caCertPath, 'utf8');
    const versions = `${lab.http.publicUrl}/_matrix/client/versions`;
    const wellKnown = `${lab.http.apexUrl}/.well-known/matrix/server`;
    expect((await httpsStatus(versions, ca)).status).toBe(200);

    const stop = await exec(hs, sudo("systemctl stop 'matrix-*'"), `${lab.secrets.sudoPassword}\n`);
    expect(stop).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await lab.state.unitActive('matrix-tuwunel')).toBe(false);
    expect((await httpsStatus(versions, ca)).status).toBe(502);
    expect((await httpsStatus(`${lab.http.publicUrl}/_matrix/federation/v1/version`, ca)).status).toBe(502);
    expect((await httpsStatus(wellKnown, ca)).status).toBe(200);

    const ps = await exec(
      hs,
      sudo("docker ps -a --filter name=matrix- --format '{{.Names}}\\t{{.Status}}'"),
      `${lab.secrets.sudoPassword}\n`,
    );
    const lines = ps.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    for (const line of lines)
      expect(line).toMatch(/^matrix-[a-z-]+\tExited \(0\) (Less than a second|\d+ seconds?) ago$/);
    expect((await exec(hs, 'docker ps -q')).stdout).toBe('');

    const start = await exec(hs, sudo("systemctl start 'matrix-*'"), `${lab.secrets.sudoPassword}\n`);
    expect(start.code).toBe(0);
    expect((await httpsStatus(versions, ca)).status).toBe(200);
    expect((await exec(hs, 'docker ps --format "{{.Status}}"')).stdout).toMatch(
      /^(Up Less than a second\n|Up \d+ seconds?\n){9}$/,
    );
  });

  it('wants the sudo password on stdin, as sudo does', async () => {
    expect(await exec(hs, 'sudo -n systemctl restart matrix-tuwunel')).toMatchObject({
      code: 1,
      stderr: 'sudo: a password is required\n',
    });
    expect(await exec(hs, sudo('true'), 'wrong\n')).toMatchObject({
      code: 1,
      stderr: 'Sorry, try again.\nsudo: 1 incorrect password attempt\n',
    });
    expect(await exec(hs, 'sudo -S true', 'wrong\n')).toMatchObject({
      code: 1,
      stderr:
        '[sudo] password for root: Sorry, try again.\n[sudo] password for root: sudo: 1 incorrect password attempt\n',
    });
    expect(await exec(hs, sudo('cat'), `${lab.secrets.sudoPassword}\nrest of stdin\n`)).toMatchObject({
      code: 0,
      stdout: 'rest of stdin\n',
    });
  });

  it('has a vault the real ansible-vault CLI decrypts, holding the registration token', async () => {
    const ansibleVault = await requireTool('ansible-vault', 'ansible-core');
    const { stdout } = await execFileAsync(ansibleVault, [
      'view',
      '--vault-password-file',
      join(lab.repos.vaultDeploy, '..', '.vault_pass'),
      join(lab.repos.vaultWorkstation, lab.profile.vault!.file!),
    ]);
    expect(stdout).toContain(`vault_matrix_registration_token: "${lab.secrets.registrationToken}"`);
    const { stdout: remote } = await execFileAsync('git', [
      '-C',
      lab.repos.vaultDeploy,
      'remote',
      'get-url',
      'origin',
    ]);
    expect(remote.trim()).toBe(lab.repos.vaultRemote);
  });

  it('serves a Secret Service in its own D-Bus session (secret-tool)', async () => {
    const secretTool = await requireTool('secret-tool', 'libsecret-tools');
    const env = { PATH: '/usr/bin:/bin', ...lab.env };
    const store = execFile(
      secretTool,
      ['store', '--label', 'lab test', 'service', 'lab-test', 'account', 'a'],
      { env },
    );
    store.stdin?.end('s3cret');
    await new Promise((resolve, reject) =>
      store.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`exit ${code}`)))),
    );
    const { stdout } = await execFileAsync(secretTool, ['lookup', 'service', 'lab-test', 'account', 'a'], {
      env,
    });
    expect(stdout).toBe('s3cret');
  });

  describe('fault switches', () => {
    it('exit: the matching stand-in fails with the given code and stderr, `times` times', async () => {
      lab.faults.exit('homeserver', 'docker ps*', 7, 'Cannot connect to the Docker daemon\n', 1);
      expect(await exec(hs, 'docker ps -q; echo "rc=$?"')).toMatchObject({
        stdout: 'rc=7\n',
        stderr: 'Cannot connect to the Docker daemon\n',
      });
      expect((await exec(hs, 'docker ps -q | wc -l')).stdout).toBe('9\n');
      lab.faults.exit('homeserver', 'systemctl is-active*', 3);
      expect((await exec(hs, 'systemctl is-active matrix-tuwunel; echo $?')).stdout).toBe('3\n');
      expect((await exec(hs, 'systemctl is-active matrix-tuwunel; echo $?')).stdout).toBe('3\n');
      lab.faults.clear('homeserver');
      expect((await exec(hs, 'systemctl is-active matrix-tuwunel; echo $?')).stdout).toBe('active\n0\n');
    });

    it('hang: the command hangs; closing the channel leaves nothing running', async () => {
      lab.faults.hang('homeserver', 'journalctl*');
      const stream = await openExec(hs, 'journalctl -u matrix-tuwunel -n 1 --no-pager');
      const done = collect(stream);
      await sleep(400);
      expect(await labProcesses(lab.processMarker, 'tail')).toHaveLength(1);
      stream.close();
      await done;
      await eventually(
        async () => (await labProcesses(lab.processMarker, 'tail')).length === 0,
        'the hung command to die',
      );
      lab.faults.clear();
    });

    it('hang: a dropped connection ends it too; signals are refused for root, as OpenSSH does', async () => {
      const c = await connect(lab.hosts.homeserver, {
        keyPath: lab.clientKeyPath,
        pinned: lab.hosts.homeserver.fingerprint,
      });
      lab.faults.hang('homeserver', 'df*', 1);
      const stream = await openExec(c, 'df -P /matrix/tuwunel/data');
      stream.on('error', () => {});
      await sleep(300);
      // sshd skips post-auth privilege separation for root and then refuses "signal" requests.
      stream.signal('TERM');
      await sleep(300);
      expect(await labProcesses(lab.processMarker, 'tail')).toHaveLength(1);
      c.end();
      await eventually(
        async () => (await labProcesses(lab.processMarker, 'tail')).length === 0,
        'the hung command to die',
      );
      expect((await exec(hs, 'df --output=pcent /matrix/tuwunel/data')).stdout).toBe('Use%\n 42%\n');
    });

    it('cut: the SSH connection drops mid-command', async () => {
      const c = await connect(lab.hosts.homeserver, {
        keyPath: lab.clientKeyPath,
        pinned: lab.hosts.homeserver.fingerprint,
      });
      const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
      c.on('error', () => {});
      lab.faults.cut('homeserver', 'systemctl restart*', 1);
      const r = await exec(c, 'echo started; systemctl restart matrix-tuwunel; echo never').catch(
        (e: Error) => e,
      );
      await closed;
      if (!(r instanceof Error)) {
        expect(r.code).toBeNull();
        expect(r.stdout).not.toContain('never');
      }
      // Only that connection died; the next command runs normally.
      expect((await exec(hs, 'echo still here')).stdout).toBe('still here\n');
    });

    it('reach the deploy host’s ansible-playbook and ansible-galaxy (cut, exit)', async () => {
      const d = await connect(lab.hosts.deploy, {
        keyPath: lab.clientKeyPath,
        pinned: lab.hosts.deploy.fingerprint,
      });
      const closed = new Promise<void>((resolve) => d.on('close', () => resolve()));
      d.on('error', () => {});
      const inPlaybook = (command: string) => `cd ${shellQuote(lab.repos.playbook)} && ${command}`;
      lab.faults.cut('deploy', 'ansible-playbook*--tags=stop*', 1);
      const r = await exec(
        d,
        inPlaybook('echo started; ansible-playbook -i inventory/hosts setup.yml --tags=stop; echo never'),
      ).catch((e: Error) => e);
      await closed;
      if (!(r instanceof Error)) {
        expect(r.code).toBeNull();
        expect(r.stdout).not.toContain('never');
      }
      // Cut before Ansible started: nothing was stopped.
      expect(await lab.state.unitActive('matrix-tuwunel')).toBe(true);
      const again = await connect(lab.hosts.deploy, {
        keyPath: lab.clientKeyPath,
        pinned: lab.hosts.deploy.fingerprint,
      });
      try {
        lab.faults.exit('deploy', 'ansible-galaxy install*', 1, 'ERROR! lab: injected\n', 1);
        const galaxy = inPlaybook('ansible-galaxy install -r requirements.yml -p roles/galaxy/ --force');
        expect(await exec(again, galaxy)).toMatchObject({
          code: 1,
          stdout: '',
          stderr: 'ERROR! lab: injected\n',
        });
        // The fault was for one run only: the real ansible-galaxy answers the next.
        const real = await exec(again, galaxy);
        expect(real.code).toBe(0);
        expect(real.stdout).toContain('- systemd_service_manager (v1.0.0-4) was installed successfully');
      } finally {
        again.end();
      }
    });

    it('latency: every command on the host starts late', async () => {
      lab.faults.latency('deploy', 300);
      const d = await connect(lab.hosts.deploy, {
        keyPath: lab.clientKeyPath,
        pinned: lab.hosts.deploy.fingerprint,
      });
      let t = performance.now();
      await exec(d, 'true');
      expect(performance.now() - t).toBeGreaterThanOrEqual(300);
      lab.faults.latency('deploy', 0);
      t = performance.now();
      await exec(d, 'true');
      expect(performance.now() - t).toBeLessThan(300);
      d.end();
    });
  });

  it('rotateHostKey: a new fingerprint, and the pinned old one is refused', async () => {
    const old = lab.hosts.deploy.fingerprint;
    const oldLine = lab.hosts.deploy.knownHostsLine;
    await lab.hosts.deploy.rotateHostKey();
    expect(lab.hosts.deploy.fingerprint).not.toBe(old);
    expect(lab.hosts.deploy.knownHostsLine).not.toBe(oldLine);
    expect(
      lab.hosts.deploy.knownHostsLine.startsWith(
        `[${lab.hosts.deploy.address}]:${lab.hosts.deploy.port} ssh-ed25519 `,
      ),
    ).toBe(true);
    await expect(connect(lab.hosts.deploy, { keyPath: lab.clientKeyPath, pinned: old })).rejects.toThrow(
      /verification failed/i,
    );
    const c = await connect(lab.hosts.deploy, {
      keyPath: lab.clientKeyPath,
      pinned: lab.hosts.deploy.fingerprint,
    });
    expect((await exec(c, 'echo rotated')).stdout).toBe('rotated\n');
    c.end();
    // The client's known_hosts still holds the old key: that is what the app must notice.
    expect(await readFile(lab.knownHostsPath, 'utf8')).toContain(oldLine);
  });

  it('stop() ends every process it started, hung commands included', async () => {
    const listeners = await Promise.all(
      (['homeserver', 'deploy'] as const).map(async (h) =>
        Number((await readFile(join(lab.hosts[h].dir, 'sshd', 'listener.pid'), 'utf8')).trim()),
      ),
    );
    lab.faults.hang('homeserver', '*rooms list*');
    const stream = await openExec(
      hs,
      `docker run --rm ghcr.io/matrix-construct/tuwunel:v1.7.0 --execute "rooms list"`,
    );
    stream.on('error', () => {});
    await sleep(300);
    const sshdProcesses = [...listeners, ...(await descendantsOf(listeners))];
    const marked = await labProcesses(lab.processMarker);
    const hung = await labProcesses(lab.processMarker, 'tail');
    expect(hung).toHaveLength(1);
    // Two listeners, this connection's sshd and the hung command under it.
    expect(sshdProcesses).toEqual(expect.arrayContaining(hung));
    expect(sshdProcesses.length).toBeGreaterThanOrEqual(4);
    // The hung command, dbus-daemon and gnome-keyring-daemon carry the lab's marker.
    expect(marked.length).toBeGreaterThanOrEqual(3);
    await lab.stop();
    for (const pid of [...sshdProcesses, ...marked]) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(await labProcesses(lab.processMarker)).toEqual([]);
  });
});

describe('startKeyring on its own (gnome-keyring, dbus-daemon)', () => {
  it('serves keytar in a private session and leaves nothing running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hst-keyring-'));
    const keyring = await startKeyring(dir);
    try {
      const pids = await keyringProcesses(dir);
      expect(pids).toHaveLength(2);
      const env = { ...process.env, ...keyring.env };
      const script =
        "const k=require('keytar');k.setPassword('lab-test','acct','v1').then(()=>k.getPassword('lab-test','acct')).then(v=>process.stdout.write(String(v)))";
      const { stdout } = await execFileAsync(process.execPath, ['-e', script], { env });
      expect(stdout).toBe('v1');
      await keyring.stop();
      for (const pid of pids) expect(alive(pid)).toBe(false);
      expect(await keyringProcesses(dir)).toEqual([]);
    } finally {
      await keyring.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('requireTool', () => {
  it('names the Debian package when a real part is missing', async () => {
    await expect(requireTool('no-such-lab-tool', 'openssh-server')).rejects.toThrow(
      'no-such-lab-tool not found: apt-get install openssh-server',
    );
    expect(await requireTool('/usr/sbin/sshd', 'openssh-server')).toBe('/usr/sbin/sshd');
  });
});

describe('npm run lab -- --tuwunel-version (tests/lab/cli.ts)', () => {
  const cli = (args: string[]) =>
    spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'tests/lab/cli.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('starts a lab that runs, pins and answers as the release asked for, and stops on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hst-lab-cli-'));
    const child = cli(['--dir', dir, '--tuwunel-version', '1.9.0', '--no-keyring']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let marker = '';
    try {
      await eventually(() => out.includes('LAB READY'), 'LAB READY', 60_000);
      marker = ownerEntry((await readLabMarker(dir))?.owner ?? '');
      const profile = parse(await readFile(join(dir, 'profile.yaml'), 'utf8'));
      expect(profile.homeserver.version).toBe('v1.9.0');
      const ca = await readFile(profile.caFile, 'utf8');
      expect(
        JSON.parse((await httpsStatus(`${profile.publicUrl}/_tuwunel/server_version`, ca)).body),
      ).toEqual({
        name: 'Tuwunel',
        version: '1.9.0',
      });
      const vars = await readFile(join(profile.deploy.dir, profile.deploy.varsFile), 'utf8');
      expect(vars).toMatch(/^matrix_tuwunel_version: v1\.9\.0$/m);
      expect(vars).toMatch(/^matrix_playbook_migration_validated_version: v2026\.05\.18\.0$/m);
      expect(
        await readFile(join(profile.deploy.dir, 'roles/custom/matrix-tuwunel/defaults/main.yml'), 'utf8'),
      ).toMatch(/^matrix_tuwunel_version: v1\.9\.0$/m);
      expect(out).toContain(`admin room log: ${join(dir, 'homeserver', 'admin-room.jsonl')}`);
      // The admin room exists from the start, with its first admin (grant_admin_to_first_user).
      const log = (await readFile(join(dir, 'homeserver', 'admin-room.jsonl'), 'utf8')).trim().split('\n');
      expect(JSON.parse(log[0] ?? '{}')).toMatchObject({
        type: 'm.room.create',
        sender: '@conduit:lab.test',
      });
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
    expect(marker).toMatch(/^HOMESERVER_TRAY_LAB_OWNER=[0-9a-f]{24}$/);
    expect(await labProcesses(marker)).toEqual([]);
  });

  it('refuses a release it does not play, naming the ones it does', async () => {
    const child = cli(['--dir', join(tmpdir(), 'hst-lab-cli-none'), '--tuwunel-version', '1.10.0']);
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(1);
    expect(err).toContain(
      'The lab plays Tuwunel 1.7.0, 1.7.1, 1.8.0, 1.8.1, 1.8.2, 1.8.3, 1.9.0; "1.10.0" is not one of those releases.',
    );
  });
});
