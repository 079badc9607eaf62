/**
 * Shared setup for the forward/proxy integration tests: a relay and two agents (A uses B as exit) as
 * real processes on loopback, a loopback HTTP server with a random file, curl (installed with apt when
 * missing and running as root), and a raw SOCKS5 client.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import {
  AuthMethod,
  decodeReply,
  encodeGreeting,
  encodeRequest,
  encodeUserPass,
  SocksCommand,
  type SocksAddress,
} from '../../src-main/protocol/socks5.js';
import {
  agentCall,
  peerOf,
  cli,
  startAgent,
  tempHome,
  type Proc,
  startRelay,
  nodeId,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

export { peerOf };

/** curl, installed through apt when running as root and missing; why not, otherwise. */
export function curlUnavailable(): string | undefined {
  const has = () => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return 'curl is not installed and installing it needs root';
  spawnSync('apt-get', ['install', '-y', '-q', 'curl'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return has() ? undefined : 'curl could not be installed with apt-get';
}

/** True when something can listen on 127.0.0.1:port right now. */
export function portFree(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The TCP ports process `pid` listens on right now (`ss -ltnpH`, iproute2). Unlike portFree, another
 * process on this machine listening on, or connecting from, one of those ports does not count: the
 * kernel hands out nearby ports to bind(0) calls close in time, so other tests' ports land among ours.
 */
export function listeningTcpPorts(pid: number): Set<number> {
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports;
}

export interface FileServer {
  server: Server;
  port: number;
  sha256: string;
  size: number;
  /** SHA-256 of what /head serves: the file's first HEAD_BYTES (all of it when smaller). */
  headSha256: string;
}

/**
 * Bytes /head serves (64 KiB): a check that a forward carries bytes again (after a restart, a port
 * freed) needs a byte-exact answer, not the whole file again.
 */
export const HEAD_BYTES = 64 * 1024;

/** Serves `size` random bytes at /file, and their first HEAD_BYTES at /head, on 127.0.0.1:0. */
export async function fileServer(size: number): Promise<FileServer> {
  const data = randomBytes(size);
  const head = data.subarray(0, HEAD_BYTES);
  const server = createHttpServer((req, res) => {
    const body = req.url === '/file' ? data : req.url === '/head' ? head : undefined;
    if (!body) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  return { server, port, sha256: sha256(data), size, headSha256: sha256(head) };
}

/** Runs curl; resolves with its exit status, the SHA-256 and length of what it printed, and stderr. */
export function curl(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; sha256: string; bytes: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', String(timeoutMs / 1000), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`curl ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs + 5_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, sha256: hash.digest('hex'), bytes, stderr });
    });
  });
}

export { startRelay, startAgent };

export async function waitForPath(home: string, peer: string, path: 'direct' | 'relay'): Promise<void> {
  await until(`${path} path to ${peer}`, async () => (await peerOf(home, peer))?.path === path, 20_000);
}

export interface Pair {
  relayUrl: string;
  homeA: string;
  homeB: string;
  a: Proc;
  b: Proc;
}

/** A relay, agents `a` and `b` that are each other's peers, linked directly (both listen on loopback). */
export async function startPair(): Promise<Pair> {
  const relay = await startRelay();
  const homeA = tempHome('fa');
  const homeB = tempHome('fb');
  const [a, b] = await Promise.all([
    startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' }),
    startAgent(homeB, { name: 'b', relay: relay.url, listen: '127.0.0.1:0' }),
  ]);
  const fa = (await nodeId(homeA)).fingerprint;
  const fb = (await nodeId(homeB)).fingerprint;
  // As `clawbridge peers add FP --name NAME` does, over the control socket: set-up, not what these
  // tests check, and a CLI process costs ~0.4 s of CPU.
  await agentCall(homeA, 'peers.add', { fingerprint: fb, name: 'b' });
  await agentCall(homeB, 'peers.add', { fingerprint: fa, name: 'a' });
  await waitForPath(homeA, 'b', 'direct');
  return { relayUrl: relay.url, homeA, homeB, a, b };
}

/** Runs a CLI command that must succeed; returns its stdout. */
export async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`clawbridge ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/**
 * A raw SOCKS5 CONNECT: resolves with the reply code, or null when the proxy closed the connection
 * without a reply. `user` offers username/password with that user name.
 */
export function socksReply(port: number, target: SocksAddress, user?: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let stage: 'method' | 'auth' | 'reply' = 'method';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no SOCKS reply in 20 s'));
    }, 20_000);
    const done = (v: number | null) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    s.on('error', () => done(null));
    s.on('close', () => done(null));
    s.on('connect', () =>
      s.write(encodeGreeting(user === undefined ? [AuthMethod.None] : [AuthMethod.UserPassword])),
    );
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (stage === 'method' && buf.length >= 2) {
        if (buf[1] === AuthMethod.NoAcceptable) return done(null);
        buf = buf.subarray(2);
        stage = user === undefined ? 'reply' : 'auth';
        if (user !== undefined) s.write(encodeUserPass(user, 'x'));
        else s.write(encodeRequest({ command: SocksCommand.Connect, address: target }));
      }
      if (stage === 'auth' && buf.length >= 2) {
        buf = buf.subarray(2);
        stage = 'reply';
        s.write(encodeRequest({ command: SocksCommand.Connect, address: target }));
      }
      if (stage === 'reply') {
        const d = decodeReply(buf);
        if (d.status === 'done') done(d.value.reply);
      }
    });
  });
}
