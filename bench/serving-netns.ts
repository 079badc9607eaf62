/**
 * The serving side of an emulated profile (agent b, sshd, the bench sink) runs in its own network
 * namespace with nothing but its loopback: the client side can reach it only through the link
 * emulator's door (bench/netns-door.ts), so no path bypasses the emulated link, whatever addresses a
 * peer announces. Needs root and iproute2; without them the serving side stays on the host's loopback
 * and only the emulator's port is given to the clients (`reason` says why).
 */
import { execFileSync } from 'node:child_process';
import type { CommandWrap } from './child.js';
import { onAbort } from './on-abort.js';

export interface ServingSide {
  /** The namespace, or null when the serving side shares the host's loopback. */
  netns: string | null;
  /** Why there is no namespace (null when there is one). */
  reason: string | null;
  /** `cmd args` as run on the serving side. */
  readonly wrap: CommandWrap;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export function createServingSide(): ServingSide {
  const plain = (reason: string): ServingSide => ({
    netns: null,
    reason,
    wrap: (cmd, args) => ({ cmd, args }),
    destroy: () => undefined,
  });
  if (process.platform !== 'linux') return plain('network namespaces need Linux');
  if (process.getuid?.() !== 0) return plain('network namespaces need root');
  const name = `cbemu${process.pid}`;
  try {
    ip('netns', 'add', name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    try {
      ip('netns', 'del', name);
    } catch {
      /* never made */
    }
    return plain(`could not create a network namespace: ${(err as Error).message.split('\n')[0]}`);
  }
  const deleteNetns = () => {
    try {
      ip('netns', 'del', name);
    } catch {
      /* already gone */
    }
  };
  // A run stopped by a signal still deletes its namespace (processes in it are ended by their PIDs).
  const forget = onAbort(deleteNetns);
  return {
    netns: name,
    reason: null,
    wrap: (cmd, args) => ({ cmd: 'ip', args: ['netns', 'exec', name, cmd, ...args] }),
    destroy: () => {
      forget();
      deleteNetns();
    },
  };
}
