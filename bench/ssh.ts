/**
 * The `ssh-L` and `ssh-D` rows: OpenSSH's local forward and dynamic (SOCKS) forward, the things a direct
 * link, `clawbridge forward` and `clawbridge proxy --socks` replace. A private sshd (own config, host key
 * and authorized_keys in a temp dir, 127.0.0.1 on a free port) and one `ssh -N -L … -D …` with
 * aes256-gcm@openssh.com forward to the bench sink the clawbridge forward rows use (peer-child, tcp),
 * and are measured side by side with them (side-by-side.ts). Both are ended by PID. When sshd is missing and we are root it is installed with apt-get; otherwise the rows
 * are skipped with a note. Setup is local connect (+ SOCKS handshake) → first echoed byte: ssh opens
 * the forwarded channel lazily, so that is the first moment the stream is known to work (the ssh login
 * itself is excluded, as the relay rows exclude the relay login).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { timed } from './path.js';
import type { CommandWrap } from './child.js';
import { killByPid, launch, which } from './processes.js';
import { firstEcho, socksStream, tcpStream } from './streams.js';
import type { NamedPath } from './side-by-side.js';

/** The cipher of the comparison: AES-256-GCM, as our TLS 1.3 and E2E records use. */
export const SSH_CIPHER = 'aes256-gcm@openssh.com';
/** How long apt-get may take to install OpenSSH, in ms. */
const APT_TIMEOUT_MS = 240_000;
/** How long sshd or the ssh forward may take to start listening, in ms. */
const START_TIMEOUT_MS = 15_000;
/** Pause between checks whether a port listens, in ms. */
const POLL_MS = 50;
const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'];

function findTools(): { sshd?: string; ssh?: string; keygen?: string } {
  return {
    sshd: SSHD_CANDIDATES.find((p) => existsSync(p)),
    ssh: which('ssh'),
    keygen: which('ssh-keygen'),
  };
}

function apt(args: string[]): boolean {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'ignore',
    timeout: APT_TIMEOUT_MS,
  });
  return r.status === 0;
}

/** Installs OpenSSH when missing and allowed; returns why not when it cannot. */
function ensureOpenSsh(log: (line: string) => void): string | undefined {
  const tools = findTools();
  if (tools.sshd && tools.ssh && tools.keygen) return undefined;
  if (process.getuid?.() !== 0)
    return 'not available: sshd/ssh not installed and not root (apt-get install openssh-server openssh-client)';
  log('installing openssh-server and openssh-client with apt-get (once)…');
  const pkgs = ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server', 'openssh-client'];
  if (!apt(pkgs) && !(apt(['update', '-qq']) && apt(pkgs)))
    return 'not available: apt-get install openssh-server failed';
  const after = findTools();
  return after.sshd && after.ssh && after.keygen
    ? undefined
    : 'not available: sshd still missing after apt-get';
}

/** A free TCP port on 127.0.0.1 (bound and released; another process could take it, which fails the row). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls `ready` until it holds; fails when `proc` exits first or START_TIMEOUT_MS pass (`waiting` says for what). */
async function waitUntil(
  ready: () => boolean | Promise<boolean>,
  proc: ChildProcess,
  what: string,
  waiting: string,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}): ${stderr().trim()}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${what} did not ${waiting} within ${START_TIMEOUT_MS} ms: ${stderr().trim()}`);
}

function waitListening(port: number, proc: ChildProcess, what: string, stderr: () => string): Promise<void> {
  return waitUntil(() => canConnect(port), proc, what, `listen on ${port}`, stderr);
}

/** Waits until the ControlMaster at `control` answers `ssh -O check`. */
function waitMaster(ssh: string, control: string, proc: ChildProcess, stderr: () => string): Promise<void> {
  const check = () => spawnSync(ssh, ['-S', control, '-O', 'check', 'x'], { stdio: 'ignore' }).status === 0;
  return waitUntil(check, proc, 'ssh -M', 'answer', stderr);
}

/** OpenSSH forwarding to the bench sink, ready to measure, or why it is not available. */
export interface SshForward {
  /** `ssh-L` and `ssh-D`, each with its setup time measured; empty when OpenSSH is not available. */
  paths: NamedPath[];
  /**
   * The `ssh` command line that runs `remote` (a shell command line) on the same sshd with the same
   * key and cipher, `-tt` when `tty`; over the ControlMaster connection (`master`) unless `fresh`;
   * null when OpenSSH is not available.
   */
  command: ((remote: string, tty: boolean, fresh?: boolean) => { file: string; args: string[] }) | null;
  /**
   * The `scp` command line (a new connection, same key and cipher) that copies `sources` into the
   * folder `dest` on sshd's side, `-r` when `recursive`; null when OpenSSH or scp is not available.
   */
  scp: ((sources: string[], dest: string, recursive: boolean) => { file: string; args: string[] }) | null;
  notes: string[];
  /** Local ports of `ssh -L` (to the sink) and `ssh -D`; null when OpenSSH is not available. */
  ports: { forward: number; socks: number } | null;
  /** The ControlMaster's socket (for `ssh -S … -O forward`); null without `master` or OpenSSH. */
  control: string | null;
  /** Ends sshd and ssh by their PIDs and removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts a private sshd and `ssh -N -L … -D …` towards the bench sink at `sinkPort` (a peer-child in
 * tcp mode). Never throws: when OpenSSH is missing or fails to start, `paths` is empty and `notes` say why.
 * With `probe: false` the far end is not the bench sink (bench/curl-check.ts: an HTTP server): the
 * forwards are started but not probed, and `paths` stays empty.
 */
export interface SshForwardOptions {
  /** Probe the forwards as the sink (default true). */
  probe?: boolean;
  /** Runs sshd elsewhere (bench/serving-netns.ts); the sink port is then as seen there. */
  wrapDaemon?: CommandWrap;
  /**
   * The port ssh connects to for sshd's `sshPort` (an emulated link's, bench/emulated-link.ts),
   * resolved once sshd accepts through it; without it ssh connects to sshd directly.
   */
  reach?: (sshPort: number, daemon: ChildProcess) => Promise<number>;
  /**
   * The -N forward is a ControlMaster and `command` runs over its connection (`-S`), so a terminal
   * shares the TCP connection with the -L download, as a user's multiplexed ssh does.
   */
  master?: boolean;
  /**
   * Runs the `ssh -N` client elsewhere (bench/packet-link.ts: the client side's namespace), where the
   * bench cannot connect to its forward's port: it is then taken as ready when the ControlMaster
   * answers (`-O check`; it forwards once it answers, ExitOnForwardFailure), so it needs `master`.
   */
  wrapClient?: CommandWrap;
  /** The address sshd listens on and ssh logs in at (127.0.0.1 unless given). */
  host?: string;
}

export async function startSshForward(
  sinkPort: number,
  log: (line: string) => void,
  { probe = true, wrapDaemon, reach, master = false, wrapClient, host = '127.0.0.1' }: SshForwardOptions = {},
): Promise<SshForward> {
  if (wrapClient && !master) throw new Error('an ssh client run elsewhere needs a ControlMaster');
  const missing = ensureOpenSsh(log);
  const none = () => Promise.resolve();
  if (missing)
    return {
      paths: [],
      command: null,
      scp: null,
      ports: null,
      control: null,
      notes: [`ssh-L ${missing}`, `ssh-D ${missing}`],
      stop: none,
    };
  const { sshd, ssh, keygen } = findTools() as Required<ReturnType<typeof findTools>>;
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-ssh-'));
  let daemon: ChildProcess | undefined;
  let client: ChildProcess | undefined;
  const stop = async () => {
    await Promise.all([killByPid(client), killByPid(daemon)]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const name of ['host_key', 'id_client']) {
      const r = spawnSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
      if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr?.toString() ?? ''}`);
    }
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_client.pub')));
    // sshd refuses to start as root without its privilege-separation directory.
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const sshPort = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${sshPort}`,
        `ListenAddress ${host}`,
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'UsePAM no',
        'PermitRootLogin yes',
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        // scp (OpenSSH 9) copies over SFTP: the files section's scp rows (bench/files-section.ts).
        'Subsystem sftp internal-sftp',
        `Ciphers ${SSH_CIPHER}`,
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const run = (wrapDaemon ?? ((cmd, args) => ({ cmd, args })))(sshd, [
      '-f',
      join(dir, 'sshd_config'),
      '-D',
      '-e',
    ]);
    const d = launch(run.cmd, run.args);
    daemon = d.proc;
    let loginPort = sshPort;
    if (reach) loginPort = await reach(sshPort, daemon);
    else await waitListening(sshPort, daemon, 'sshd', d.stderr);
    const control = join(dir, 'control');
    const fwdPort = await freePort();
    const socksPort = await freePort();
    // Everything but what to do: the same for the forwards and for the commands.
    const login = [
      '-c',
      SSH_CIPHER,
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      '-i',
      join(dir, 'id_client'),
      '-p',
      String(loginPort),
      `${userInfo().username}@${host}`,
    ];
    const clientRun = (wrapClient ?? ((cmd, args) => ({ cmd, args })))(ssh, [
      '-N',
      '-L',
      `127.0.0.1:${fwdPort}:127.0.0.1:${sinkPort}`,
      '-D',
      `127.0.0.1:${socksPort}`,
      '-o',
      'ExitOnForwardFailure=yes',
      ...(master ? ['-M', '-S', control] : []),
      ...login,
    ]);
    const c = launch(clientRun.cmd, clientRun.args);
    client = c.proc;
    if (wrapClient) {
      await waitMaster(ssh, control, client, c.stderr);
    } else {
      await waitListening(fwdPort, client, 'ssh -L', c.stderr);
      await waitListening(socksPort, client, 'ssh -D', c.stderr);
    }
    const paths: NamedPath[] = [];
    const notes: string[] = [];
    // One row failing (a forward refused) must not cost the other its measurement.
    const rows = [
      { name: 'ssh-L', open: () => tcpStream(fwdPort) },
      { name: 'ssh-D', open: () => socksStream(socksPort, sinkPort) },
    ];
    for (const { name, open } of probe ? rows : []) {
      try {
        const setup = await timed(() => firstEcho(open));
        const cpu = [
          ...(client.pid !== undefined ? [{ label: 'ssh', pid: client.pid }] : []),
          ...(daemon.pid !== undefined ? [{ label: 'sshd', pid: daemon.pid }] : []),
        ];
        paths.push({ name, open, setupMs: setup.ms, short: true, close: () => undefined, cpu });
      } catch (err) {
        notes.push(`${name} not available: ${(err as Error).message}`);
      }
    }
    const command = (remote: string, tty: boolean, fresh = false) => ({
      file: ssh,
      args: [
        ...(tty ? ['-tt'] : ['-T']),
        ...(master && !fresh ? ['-S', control] : ['-o', 'ControlPath=none']),
        ...login,
        remote,
      ],
    });
    const scpBin = which('scp');
    const scp = (sources: string[], dest: string, recursive: boolean) => ({
      file: scpBin!,
      args: [
        '-q',
        ...(recursive ? ['-r'] : []),
        '-o',
        'ControlPath=none',
        ...login.slice(0, -3),
        '-P',
        String(loginPort),
        ...sources,
        `${login[login.length - 1]!}:${dest}`,
      ],
    });
    return {
      paths,
      command,
      scp: scpBin ? scp : null,
      ports: { forward: fwdPort, socks: socksPort },
      control: master ? control : null,
      notes,
      stop,
    };
  } catch (err) {
    await stop();
    const why = (err as Error).message;
    return {
      paths: [],
      command: null,
      scp: null,
      ports: null,
      control: null,
      notes: [`ssh-L not available: ${why}`, `ssh-D not available: ${why}`],
      stop: none,
    };
  }
}
