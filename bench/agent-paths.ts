/**
 * Rows through real `clawbridge` agents (bench/cli-agents.ts) to the bench server in its own process
 * (bench/peer-child.ts, plain TCP): `forward-*` through `clawbridge forward add` (like ssh -L),
 * `socks-*` through `clawbridge proxy add --socks` (like ssh -D), over a direct link and over a relay;
 * and, on the direct pair, the terminal echo rows (bench/terminal-echo.ts). Setup is as for ssh-L:
 * local connect (+ SOCKS handshake) → first echoed byte, with the agents' link already up, as the ssh
 * login is excluded there.
 */
import { parseHostPort } from '../src-main/core/host-port.js';
import { startChild } from './child.js';
import { startAgentPair, type AgentPair, type PairMode } from './cli-agents.js';
import { measurePath, timed } from './path.js';
import { firstEcho, socksStream, tcpStream } from './streams.js';
import type { BenchResult } from './table.js';
import { measureTerminalEcho } from './terminal-echo.js';

export interface AgentRows {
  results: BenchResult[];
  notes: string[];
}

/** Where the agent put a listener asked for on port 0 (`local` of `forward add --json`). */
function localPort(json: string): number {
  return parseHostPort((JSON.parse(json) as { local: string }).local).port;
}

async function measureForward(pair: AgentPair, sinkPort: number): Promise<BenchResult> {
  const added = await pair.onA([
    'forward',
    'add',
    '--local',
    '127.0.0.1:0',
    '--via',
    'b',
    '--remote',
    `127.0.0.1:${sinkPort}`,
    '--json',
  ]);
  const port = localPort(added);
  const open = () => tcpStream(port);
  const setup = await timed(() => firstEcho(open));
  return measurePath(`forward-${pair.mode}`, { open, setupMs: setup.ms, close: () => undefined });
}

async function measureSocks(pair: AgentPair, sinkPort: number): Promise<BenchResult> {
  const port = localPort(await pair.onA(['proxy', 'add', '--socks', '127.0.0.1:0', '--via', 'b', '--json']));
  const open = () => socksStream(port, sinkPort);
  const setup = await timed(() => firstEcho(open));
  return measurePath(`socks-${pair.mode}`, { open, setupMs: setup.ms, close: () => undefined });
}

const empty = (name: string): BenchResult => ({ name, MBps: null, p50Ms: null, p99Ms: null, setupMs: null });

/**
 * Measures forward-direct, socks-direct, term-echo-idle, term-echo-load (one direct pair), then
 * forward-relay and socks-relay (a relay pair). A row that fails is empty with a note; never throws.
 */
export async function measureAgentRows(log: (line: string) => void): Promise<AgentRows> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const row = async (name: string, measure: () => Promise<BenchResult>) => {
    log(`measuring ${name}…`);
    const t0 = performance.now();
    try {
      results.push(await measure());
      log(`  ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      notes.push(`${name} not available: ${(err as Error).message}`);
      results.push(empty(name));
    }
  };
  const sink = startChild('./peer-child.ts');
  try {
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    for (const mode of ['direct', 'relay'] as const satisfies readonly PairMode[]) {
      const names = [`forward-${mode}`, `socks-${mode}`];
      if (mode === 'direct') names.push('term-echo-idle', 'term-echo-load');
      log(`starting two clawbridge agents (${mode})…`);
      let pair: AgentPair;
      try {
        pair = await startAgentPair(mode);
      } catch (err) {
        for (const name of names) {
          notes.push(`${name} not available: ${(err as Error).message}`);
          results.push(empty(name));
        }
        continue;
      }
      log(`  agents up, b online on the ${mode} path after ${(pair.readyMs / 1000).toFixed(1)} s`);
      try {
        await row(`forward-${mode}`, () => measureForward(pair, sinkPort));
        await row(`socks-${mode}`, () => measureSocks(pair, sinkPort));
        if (mode === 'direct') {
          log('measuring term-echo-idle…');
          const term = await measureTerminalEcho(pair.homeA, log);
          results.push(...term.results);
          notes.push(...term.notes);
        }
      } finally {
        await pair.stop();
      }
    }
  } catch (err) {
    notes.push(`agent rows stopped early: ${(err as Error).message}`);
  } finally {
    await sink.stop();
  }
  return { results, notes };
}
