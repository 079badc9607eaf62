/**
 * The browser terminal's server side with one terminal open (issue 83): what the node that serves the
 * terminal holds — its agent and the session host that keeps the shell (ADR 0022) — beside what WeTTY
 * 3.2 holds for the same, its Node server, the `ssh` it starts and the `sshd` that ssh logs in to.
 * The relay and the shells themselves are left out of both sums (each side runs the user's shell).
 *
 * Ours: the relay and two agents from the built CLI (cli-agents.ts startAgentPair, relay mode: no
 * direct path), `clawbridge term b` from a with a shell open on b through the relay, as the browser
 * page's terminal reaches b; then IDLE_S seconds with nothing typed, and RSS (VmRSS) of b's agent and
 * b's session host read at the end.
 * WeTTY: npm's wetty@3.2.0 installed into a temp dir (`npm install --prefix`), a private sshd (own
 * config and host key, 127.0.0.1 on a free port; bench/ssh.ts has the same), WeTTY pointed at it with
 * a key, and one terminal opened on it through WeTTY's socket.io as its page opens one; the same idle
 * window, and RSS of WeTTY's process, its ssh and every sshd process of our daemon (the listener, the
 * connection's monitor and its session process). Skipped with the reason when it cannot be installed.
 * Linux only (/proc).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, startAgentPair } from './cli-agents.js';
import { vmRssBytes } from './footprint.js';
import { killByPid, launch, which, type Launched } from './processes.js';

/** WeTTY's release the issue measured. */
export const WETTY_VERSION = '3.2.0';
/** How long `npm install wetty` may take, in ms (it builds node-pty). */
const INSTALL_TIMEOUT_MS = 600_000;
/** How long a shell may take to answer through either terminal, in ms (a login shell on a loaded machine). */
const READY_TIMEOUT_MS = 180_000;
/** The terminal's settling before the idle window, in ms: start-up's one-off work is over. */
const SETTLE_MS = 15_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS of one process now, in bytes; 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    return vmRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8')) ?? 0;
  } catch {
    return 0;
  }
}

/** Ends a process this bench started, by its PID; one already gone is no error. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Every running process: pid, parent pid and argv. */
function processes(): { pid: number; ppid: number; argv: string[] }[] {
  const out: { pid: number; ppid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(name), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every process under it, as pid → argv. */
function tree(root: number): Map<number, string[]> {
  const all = processes();
  const found = new Map<number, string[]>();
  const walk = (pid: number) => {
    const p = all.find((x) => x.pid === pid);
    if (!p || found.has(pid)) return;
    found.set(pid, p.argv);
    for (const c of all.filter((x) => x.ppid === pid)) walk(c.pid);
  };
  walk(root);
  return found;
}

/** One side's server processes at the end of its idle window. */
export interface ServerSide {
  /** Each process counted, by what it is, in bytes of RSS. */
  parts: { name: string; pid: number; rssBytes: number }[];
  totalBytes: number;
}

const side = (parts: ServerSide['parts']): ServerSide => ({
  parts,
  totalBytes: parts.reduce((s, p) => s + p.rssBytes, 0),
});

/** A `term` kept open with a shell in it; `ready` once the shell answered. */
function openTerm(args: string[]): { child: ChildProcess; answered: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'term', ...args, '-t'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out = (out + c).slice(-4096)));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4096)));
  child.stdin.write('echo "ready-$((6*7))"\n');
  const answered = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () =>
        reject(
          new Error(
            `the shell did not answer through term within ${READY_TIMEOUT_MS} ms: ${err} ${JSON.stringify(out.slice(-300))}`,
          ),
        ),
      READY_TIMEOUT_MS,
    );
    const check = () => {
      if (!out.includes('ready-42')) return;
      clearTimeout(deadline);
      child.stdout.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`term exited (${code}) before its shell answered: ${err}`));
    });
  });
  return { child, answered };
}

/** The session host serving `home`'s agent (started by it, detached). */
function sessionHostOf(home: string): number | undefined {
  const socket = `${realpathSync(home)}/pty.sock`;
  return processes().find((p) => p.argv.includes(socket) && p.argv.some((a) => a.includes('host-main')))?.pid;
}

/** Tries to start the pair this many times: on a loaded machine an agent can miss its start deadline. */
const PAIR_ATTEMPTS = 3;

async function startPairWithRetries(): ReturnType<typeof startAgentPair> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAgentPair('relay');
    } catch (err) {
      if (attempt >= PAIR_ATTEMPTS) throw err;
      log(`the agents did not start (${err instanceof Error ? err.message : String(err)}); again…`);
    }
  }
}

/** Ours: agent b and its session host with one terminal open on b from a, through the relay. */
export async function measureOurServerSide(idleS: number): Promise<ServerSide> {
  const pair = await startPairWithRetries();
  let term: ChildProcess | undefined;
  try {
    const opened = openTerm(['b', '--home', pair.homeA]);
    term = opened.child;
    await opened.answered;
    const host = sessionHostOf(pair.homeB);
    if (host === undefined) throw new Error("b's session host is not running with a terminal open");
    await sleep(SETTLE_MS + idleS * 1000);
    return side([
      { name: 'agent', pid: pair.pids.b, rssBytes: rssOf(pair.pids.b) },
      { name: 'session host', pid: host, rssBytes: rssOf(host) },
    ]);
  } finally {
    term?.kill('SIGKILL');
    const host = sessionHostOf(pair.homeB);
    await pair.stop();
    // Detached from the agent (so it outlives it): ended by its PID here if it has not exited itself.
    if (host !== undefined) killQuietly(host);
  }
}

/** A free TCP port on 127.0.0.1 (released before use; a race with another process fails the row). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Installs wetty@WETTY_VERSION into `dir`; returns its package folder, or why not. */
function installWetty(dir: string): { root: string } | { skip: string } {
  const npm = which('npm');
  if (!npm) return { skip: 'npm not found' };
  log(`installing wetty@${WETTY_VERSION} into ${dir} (npm install --prefix)…`);
  const r = spawnSync(
    npm,
    ['install', '--prefix', dir, '--no-audit', '--no-fund', `wetty@${WETTY_VERSION}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: INSTALL_TIMEOUT_MS,
    },
  );
  const root = join(dir, 'node_modules', 'wetty');
  if (r.status !== 0 || !existsSync(root)) {
    return {
      skip: `npm install wetty@${WETTY_VERSION} failed (${r.status}): ${String(r.stderr).slice(-300)}`,
    };
  }
  return { root };
}

/** WeTTY, its ssh and our sshd, with one terminal open through WeTTY's socket.io. */
export async function measureWettyServerSide(idleS: number): Promise<ServerSide | { skip: string }> {
  const sshd = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));
  const keygen = which('ssh-keygen');
  if (!sshd || !which('ssh') || !keygen) return { skip: 'OpenSSH (sshd, ssh, ssh-keygen) not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-wetty-'));
  const procs: Launched[] = [];
  let socket: { close(): void } | undefined;
  try {
    const installed = installWetty(join(dir, 'npm'));
    if ('skip' in installed) return installed;
    const ioClient = join(dir, 'npm', 'node_modules', 'socket.io-client');
    if (!existsSync(ioClient))
      return { skip: 'socket.io-client not installed with wetty: no way to open its terminal' };
    for (const name of ['host_key', 'id_client']) {
      const r = spawnSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
      if (r.status !== 0) return { skip: `ssh-keygen failed: ${String(r.stderr)}` };
    }
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_client.pub')));
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const sshPort = await freePort();
    // The client trusts our host key from the start: no prompt stands between ssh and the shell.
    const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshPort} ${hostKey}\n`);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${sshPort}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'UsePAM no',
        'PermitRootLogin yes',
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const daemon = launch(sshd, ['-f', join(dir, 'sshd_config'), '-D', '-e']);
    procs.push(daemon);
    const webPort = await freePort();
    const wetty = launch(process.execPath, [
      join(installed.root, 'build', 'main.js'),
      '--host',
      '127.0.0.1',
      '--port',
      String(webPort),
      '--ssh-host',
      '127.0.0.1',
      '--ssh-port',
      String(sshPort),
      '--ssh-user',
      userInfo().username,
      '--ssh-auth',
      'publickey',
      '--ssh-key',
      join(dir, 'id_client'),
      '--known-hosts',
      join(dir, 'known_hosts'),
      '--force-ssh',
    ]);
    procs.push(wetty);
    await wetty.waitFor(/listening|Server started|http:\/\//i, READY_TIMEOUT_MS, 'wetty');
    // WeTTY's page connects its socket.io at /socket.io (3.2's base is /) and sends keystrokes as `input`.
    const { io } = (await import(pathToFileURL(join(ioClient, 'build', 'cjs', 'index.js')).href)) as {
      io: (
        url: string,
        opts: Record<string, unknown>,
      ) => {
        on(e: string, l: (d: string) => void): void;
        emit(e: string, d: unknown): void;
        close(): void;
      };
    };
    const s = io(`http://127.0.0.1:${webPort}`, { path: '/socket.io', transports: ['websocket'] });
    socket = s;
    let out = '';
    s.on('data', (d: string) => (out = (out + d).slice(-4096)));
    s.emit('resize', { cols: 80, rows: 24 });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!out.includes('ready-42') && Date.now() < deadline) {
      s.emit('input', 'echo "ready-$((6*7))"\r');
      await sleep(1000);
    }
    if (!out.includes('ready-42')) return { skip: `WeTTY's shell did not answer: ${out.slice(-300)}` };
    await sleep(SETTLE_MS + idleS * 1000);
    const wettyTree = tree(wetty.proc.pid!);
    const sshdTree = tree(daemon.proc.pid!);
    const parts: ServerSide['parts'] = [
      { name: 'wetty', pid: wetty.proc.pid!, rssBytes: rssOf(wetty.proc.pid!) },
    ];
    for (const [pid, argv] of wettyTree) {
      if (/(^|\/)ssh$/.test(argv[0] ?? '')) parts.push({ name: 'ssh', pid, rssBytes: rssOf(pid) });
    }
    for (const [pid, argv] of sshdTree) {
      if (/sshd/.test(argv[0] ?? ''))
        parts.push({ name: `sshd (${argv.join(' ').slice(0, 40)})`, pid, rssBytes: rssOf(pid) });
    }
    if (!parts.some((p) => p.name === 'ssh')) return { skip: 'no ssh process under WeTTY' };
    return side(parts);
  } finally {
    socket?.close();
    // The connection's sshd processes and WeTTY's ssh are ours too: ended by their PIDs.
    const started = procs.flatMap((p) => (p.proc.pid ? [...tree(p.proc.pid).keys()] : []));
    await Promise.all(procs.map((p) => killByPid(p.proc)));
    for (const pid of started) killQuietly(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}
