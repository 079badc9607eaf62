/**
 * Two test hosts on a private link: network namespaces and a veth pair this test creates (and removes),
 * so LAN behaviour (mDNS multicast, direct dials) is tested without touching any real network.
 * Needs root and iproute2; `netnsUnavailable()` says why not when they are missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface NetnsPair {
  a: string;
  b: string;
  addrA: string;
  addrB: string;
  /** Prefix for running a command inside a namespace. */
  exec(ns: string): string[];
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'pipe' });
  } catch {
    return 'iproute2 (`ip`) is not installed';
  }
  return undefined;
}

export function createNetnsPair(): NetnsPair {
  const id = `cbt${process.pid % 100000}`;
  const a = `${id}a`;
  const b = `${id}b`;
  // 198.18.0.0/15 is reserved for benchmarking links: nothing real lives there, and it only exists here.
  const addrA = '198.18.77.1';
  const addrB = '198.18.77.2';
  ip('netns', 'add', a);
  ip('netns', 'add', b);
  try {
    ip('link', 'add', `${id}va`, 'type', 'veth', 'peer', 'name', `${id}vb`);
    ip('link', 'set', `${id}va`, 'netns', a);
    ip('link', 'set', `${id}vb`, 'netns', b);
    for (const [ns, dev, addr] of [
      [a, `${id}va`, addrA],
      [b, `${id}vb`, addrB],
    ] as const) {
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
      // mDNS multicast leaves through the veth: the namespace has no other route.
      ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
  } catch (err) {
    ip('netns', 'del', a);
    ip('netns', 'del', b);
    throw err;
  }
  return {
    a,
    b,
    addrA,
    addrB,
    exec: (ns) => ['ip', 'netns', 'exec', ns],
    destroy: () => {
      for (const ns of [a, b]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

/**
 * A TCP port forward (a `node -e` one-liner) run with `prefix` (e.g. inside a namespace): LISTEN → TARGET,
 * as a router's port forward or a tunnel would be. Resolves once it listens; the caller ends it.
 */
export function startPortForward(
  prefix: string[],
  listen: { host: string; port: number },
  target: { host: string; port: number },
): Promise<ChildProcess> {
  const script = `const net=require('net');net.createServer((c)=>{const u=net.connect(${target.port},'${target.host}');c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(${listen.port},'${listen.host}',()=>console.log('up'));`;
  const [cmd, ...args] = [...prefix, process.execPath, '-e', script];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () => resolve(child));
  });
}
