/**
 * Rows `echo-floor-3` and `echo-floor-4`: what this machine itself costs a keystroke echo that crosses
 * as many processes as ssh's and ours, measured the same way and in the same blocks of keys as the
 * echo rows (bench/terminal-echo.ts). A floor is a chain of bare Node processes that pass each byte on
 * (bench/echo-floor-hop.ts), from the bench's PTY to `cat` in a PTY at the far end:
 *
 * - `echo-floor-4`: three processes and `cat`, as agent a → agent b → session host → `cat`
 *   (term-echo-idle: agent a reads and writes `clawbridge term`'s terminal itself, ADR 0037; until then
 *   `term` was a fifth process on the path, and this row was `echo-floor-5`);
 * - `echo-floor-3`: two processes and `cat`, as `ssh` → `sshd` → `cat` (ssh-echo).
 *
 * Why: on this 2-core VM a process woken from idle takes ~0.7 ms to run, and in stretches of a few
 * seconds every wake-up and every short run takes ~4 ms (perf sched showed the same kernel work items
 * running 40× longer then), so a path's p50 and p99 grow with the number of processes it crosses,
 * whatever those processes do. The floors say how much of an echo row is the machine's.
 */
import { fileURLToPath } from 'node:url';
import { openEchoPty, type EchoClient } from './terminal-echo.js';

/** The floor rows: name and the number of processes a key crosses, `cat` included. */
export const ECHO_FLOORS = [
  ['echo-floor-4', 4],
  ['echo-floor-3', 3],
] as const;

const HOP_SCRIPT = fileURLToPath(new URL('./echo-floor-hop.ts', import.meta.url));

/** The echo client of a floor of `processes` processes (`cat` included, so at least 2). */
export function echoFloorClient(name: string, processes: number): EchoClient {
  if (!Number.isInteger(processes) || processes < 2) {
    throw new Error(`an echo floor crosses at least 2 processes (one and cat), got ${processes}`);
  }
  return {
    name,
    // processes − 1 Node processes before cat: the first one plus processes − 2 after it.
    open: () =>
      openEchoPty(
        process.execPath,
        ['--import', 'tsx', HOP_SCRIPT, String(processes - 2)],
        `${name} (${processes - 1} bare Node processes and cat)`,
      ),
  };
}
