/**
 * Real processes for the terminal integration tests: a relay and two agents `a` and `b` that are peers,
 * linked directly or — with `relayOnly` (b runs `--no-direct`) — through the relay only.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import {
  agentCall,
  peerOf,
  CLI,
  cli,
  startRelay,
  tempHome,
  type CliResult,
  type Proc,
  type RelayProc,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

export { peerOf };

/**
 * `home` trusts the node of `other` as `name`, with the default permissions, as `clawbridge peers add
 * FINGERPRINT --name NAME` does, over the control socket: set-up, with no CLI process for it.
 */
export async function addPeerAs(home: string, other: string, name: string): Promise<void> {
  const { fingerprint } = await nodeId(other);
  await agentCall(home, 'peers.add', { fingerprint, name });
}

export type Relay = RelayProc;
export { startRelay };

export interface Pair {
  relay: Relay;
  a: Proc;
  b: Proc;
  homeA: string;
  homeB: string;
}

/**
 * A relay and agents a, b that trust each other; resolves once a sees b on the expected path. `envB`:
 * extra environment of agent b (its sessions inherit it).
 */
export async function startPair(opts: { relayOnly: boolean; envB?: NodeJS.ProcessEnv }): Promise<Pair> {
  const relay = await startRelay();
  const homeA = tempHome('term-a');
  const homeB = tempHome('term-b');
  const [a, b] = await Promise.all([
    startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' }),
    startAgent(homeB, {
      name: 'b',
      relay: relay.url,
      listen: opts.relayOnly ? false : '127.0.0.1:0',
      env: opts.envB,
    }),
  ]);
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);
  for (const [home, fp, name] of [
    [homeA, idB.fingerprint, 'b'],
    [homeB, idA.fingerprint, 'a'],
  ] as const) {
    // As `clawbridge peers add FP --name NAME` does, over the control socket: set-up, not what these
    // tests check, and a CLI process costs ~0.4 s of CPU (terminal.test.ts runs the command itself).
    await agentCall(home, 'peers.add', { fingerprint: fp, name });
  }
  const path = opts.relayOnly ? 'relay' : 'direct';
  // On failure, say what the agents printed: an agent that died leaves only "no agent is running".
  const withStderr = (err: unknown) => {
    const tail = (p: Proc) => p.stderr().split('\n').slice(-15).join('\n');
    throw new Error(`${(err as Error).message}\n--- a stderr ---\n${tail(a)}\n--- b stderr ---\n${tail(b)}`);
  };
  await until(`a→b over ${path}`, async () => (await peerOf(homeA, 'b'))?.path === path, 20_000).catch(
    withStderr,
  );
  await until(`b→a over ${path}`, async () => (await peerOf(homeB, 'a'))?.path === path, 20_000).catch(
    withStderr,
  );
  return { relay, a, b, homeA, homeB };
}

/** `clawbridge term b --home homeA -- …command` to completion (stdin is /dev/null). */
export function term(pair: Pair, command: string[], timeoutMs = 30_000): Promise<CliResult> {
  return cli(['term', 'b', '--home', pair.homeA, '--', ...command], timeoutMs);
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Runs `term` with stdout counted instead of kept (it may be hundreds of MB): resolves with the exit
 * code, how many bytes other than \r and \n arrived, the stderr text and the last bytes of stdout.
 * With `stall`, stops reading stdout for `ms` once `afterBytes` arrived.
 */
export function termCounting(
  pair: Pair,
  command: string[],
  timeoutMs: number,
  onBytes: (total: number) => void = () => undefined,
  stall?: { afterBytes: number; ms: number },
): Promise<{ code: number | null; chars: number; stderr: string; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let chars = 0;
    let total = 0;
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      total += c.length;
      chars += c.length - occurrences(c, 0x0a) - occurrences(c, 0x0d);
      // Only a chunk's last bytes: decoding each whole chunk cost seconds of CPU over 200 MB.
      tail = (tail + c.subarray(-64).toString('latin1')).slice(-64);
      onBytes(total);
      if (stall && total >= stall.afterBytes) {
        // A viewer that falls behind: stop reading stdout for a while.
        const ms = stall.ms;
        stall = undefined;
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), ms);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`term did not finish in ${timeoutMs} ms (${total} bytes so far)`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, chars, stderr, tail });
    });
  });
}

function occurrences(buf: Buffer, byte: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte); i >= 0; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

/**
 * PID of the session host of `home` (docs/adr/0022-session-host.md), found by its socket in its
 * command line (Linux /proc), or undefined when none runs.
 */
export function sessionHostPid(home: string): number | undefined {
  const socket = `${realpathSync(home)}/pty.sock`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv.includes(socket) && argv.some((a) => a.includes('host-main'))) return Number(name);
  }
  return undefined;
}
