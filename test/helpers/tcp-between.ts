/**
 * TCP connections established between two local processes, read from /proc (Linux): each process's
 * socket inodes, and /proc/net/tcp{,6} to pair a socket's local end with the other's remote end.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

interface TcpEntry {
  local: string;
  remote: string;
  inode: string;
}

const ESTABLISHED = '01';

function established(): TcpEntry[] {
  const entries: TcpEntry[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === ESTABLISHED) entries.push({ local: f[1]!, remote: f[2]!, inode: f[9]! });
    }
  }
  return entries;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** How many TCP connections run between processes `a` and `b` now. */
export function tcpConnectionsBetween(a: number, b: number): number {
  const all = established();
  const ofA = socketInodes(a);
  const ofB = socketInodes(b);
  const localsOfB = new Set(all.filter((e) => ofB.has(e.inode)).map((e) => e.local));
  return all.filter((e) => ofA.has(e.inode) && localsOfB.has(e.remote)).length;
}
