/**
 * CPU time of a process and everything it started (sshd works in a child per connection; an agent may
 * start helpers), for the loopback table's CPU-seconds per GiB (issue 29: each agent's beside ssh's and
 * sshd's). The tree walk is pure and unit-tested (test/unit/bench/cpu-tree.test.ts); reading /proc is not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './udp-drops.js';

/** `root` and every process below it, given each process's parent. */
export function descendants(parentOf: ReadonlyMap<number, number>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Every process's parent, from /proc/PID/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** A process tree's CPU seconds (user + system) now, or null when its root cannot be read. */
export function treeCpuSeconds(root: number): number | null {
  if (cpuSeconds(root) === null) return null;
  return descendants(parents(), root).reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
}

/** Whose CPU a path's rows report: a label (`agent a`, `sshd`) and the root of its process tree. */
export interface CpuOwner {
  label: string;
  pid: number;
}

/** CPU seconds per GiB moved, from samples taken around downloads; null without bytes. */
export function perGiB(seconds: number, bytes: number): number | null {
  return bytes > 0 ? seconds / (bytes / 1024 ** 3) : null;
}
