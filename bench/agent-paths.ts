/**
 * The rows that compare clawbridge forwarding with OpenSSH, through real `clawbridge` agents
 * (bench/cli-agents.ts) and a private sshd (bench/ssh.ts), all towards one bench sink in its own
 * process (bench/peer-child.ts, plain TCP): `forward-*` through `clawbridge forward add` against `ssh-L`,
 * `socks-*` through `clawbridge proxy add --socks` against `ssh-D`, over a direct link and over a relay.
 * Everything is set up first and then measured side by side (side-by-side.ts), so the ratios do not
 * depend on which row ran while the machine was busy. Then, on the direct pair, the terminal echo rows
 * (bench/terminal-echo.ts) and the same echo in the web UI's terminal in Chromium (bench/ui-echo.ts).
 * `--only` (bench/only.ts) leaves out what no selected row needs. Setup is as for ssh-L: local connect (+ SOCKS handshake) → first echoed
 * byte, with the agents' link already up, as the ssh login is excluded there.
 */
import { createServer, type AddressInfo } from 'node:net';
import { parseHostPort } from '../src-main/core/host-port.js';
import { startChild } from './child.js';
import { ECHO_FLOORS, echoFloorClient } from './echo-floor.js';
import type { CpuOwner } from './cpu-tree.js';
import { selects, type RowSelection } from './only.js';
import { linkDialer, startAgentPair, type AgentPair, type PairMode } from './cli-agents.js';
import { FIRST_BYTE_TURNS, timeInTurns } from './in-turns.js';
import { timed } from './path.js';
import { measureSideBySide, type NamedPath } from './side-by-side.js';
import { startSshForward } from './ssh.js';
import { firstEcho, socksStream, tcpStream } from './streams.js';
import { percentile, type BenchResult } from './table.js';
import { measureStartRows, START_ROWS } from './start-rows.js';
import {
  ECHO_SHELL_LINE,
  measureTerminalEcho,
  openEchoPty,
  openEchoTerminal,
  type EchoClient,
} from './terminal-echo.js';
import { measureUiEcho } from './ui-echo.js';

export interface AgentRows {
  results: BenchResult[];
  notes: string[];
}

/** Where the agent put a listener asked for on port 0 (`local` of `forward add --json`). */
function localPort(json: string): number {
  return parseHostPort((JSON.parse(json) as { local: string }).local).port;
}

/** Adds a TCP forward on `pair`'s agent a to 127.0.0.1:`remotePort` as b sees it; its local port. */
export async function addForward(pair: AgentPair, remotePort: number): Promise<number> {
  const added = await pair.onA([
    'forward',
    'add',
    '--local',
    '127.0.0.1:0',
    '--via',
    'b',
    '--remote',
    `127.0.0.1:${remotePort}`,
    '--json',
  ]);
  return localPort(added);
}

/** Whose CPU a pair's forward rows report (issue 29: each agent's CPU-seconds per GiB beside ssh's). */
function cpuOwners(pair: AgentPair): CpuOwner[] {
  const owners = [
    { label: 'agent a', pid: pair.pids.a },
    { label: 'agent b', pid: pair.pids.b },
  ];
  if (pair.pids.relay !== undefined) owners.push({ label: 'relay', pid: pair.pids.relay });
  return owners;
}

/** A TCP forward on `pair`'s agent a to the sink through b: the path of the forward rows. */
export async function prepareForward(pair: AgentPair, sinkPort: number): Promise<NamedPath> {
  const port = await addForward(pair, sinkPort);
  const open = () => tcpStream(port);
  const setup = await timed(() => firstEcho(open));
  return {
    name: `forward-${pair.mode}`,
    open,
    setupMs: setup.ms,
    short: true,
    close: () => undefined,
    cpu: cpuOwners(pair),
  };
}

/**
 * A SOCKS5 proxy on `pair`'s agent a exiting at b: the path of the socks rows. Without a password, as
 * `ssh -D`, which it is compared with, asks for none.
 */
export async function prepareSocks(pair: AgentPair, sinkPort: number): Promise<NamedPath> {
  const port = localPort(
    await pair.onA(['proxy', 'add', '--socks', '127.0.0.1:0', '--via', 'b', '--no-auth', '--json']),
  );
  const open = () => socksStream(port, sinkPort);
  const setup = await timed(() => firstEcho(open));
  return { name: `socks-${pair.mode}`, open, setupMs: setup.ms, short: true, close: () => undefined };
}

/** A loopback TCP port free now (a reverse forward's --listen takes no port 0). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A reverse forward (`forward add --reverse`, like ssh -R) on the same pair as the forward row and with
 * the same roles: b asks a to listen, each connection made on a comes back over the link to b, which
 * connects to the sink. So the listener is on a and the exit on b for both rows, the same download
 * goes through the same processes the same way, and only the side that set the forward up differs.
 */
export async function prepareReverse(pair: AgentPair, sinkPort: number): Promise<NamedPath> {
  await pair.onA(['peers', 'allow', 'b', 'listen']);
  const port = await freeLoopbackPort();
  await pair.onB([
    'forward',
    'add',
    '--reverse',
    '--via',
    'a',
    '--listen',
    `127.0.0.1:${port}`,
    '--to',
    `127.0.0.1:${sinkPort}`,
  ]);
  const open = () => tcpStream(port);
  const setup = await timed(() => firstEcho(open));
  return { name: `reverse-${pair.mode}`, open, setupMs: setup.ms, close: () => undefined };
}

const PREPARE = [
  { row: 'forward', prepare: prepareForward },
  { row: 'reverse', prepare: prepareReverse },
  { row: 'socks', prepare: prepareSocks },
] as const;

/**
 * The first echoed byte of a new connection through forward-direct and through ssh-L (both already
 * set up), timed in turns as the emulated-link sections time theirs (bench/in-turns.ts): the loopback
 * counterpart of `lan`'s first-byte line. Rows `first-byte-forward` and `first-byte-ssh-L` (p50 = the
 * median of FIRST_BYTE_TURNS, p99 = the slowest of them).
 */
async function measureFirstBytes(
  paths: readonly NamedPath[],
  only: RowSelection,
  notes: string[],
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const contenders = (
    [
      ['first-byte-forward', 'forward-direct'],
      ['first-byte-ssh-L', 'ssh-L'],
    ] as const
  ).flatMap(([name, pathName]) => {
    const path = paths.find((p) => p.name === pathName);
    if (!selects(only, name)) return [];
    if (!path) {
      notes.push(`${name} not available: no ${pathName} path`);
      return [];
    }
    return [{ name, run: () => firstEcho(() => path.open()) }];
  });
  if (contenders.length === 0) return [];
  log(`timing ${contenders.map((c) => c.name).join(' and ')} in turns…`);
  const samples = await timeInTurns(contenders, FIRST_BYTE_TURNS, notes);
  return [...samples].map(([name, ms]) => ({
    name,
    MBps: null,
    p50Ms: percentile(ms, 50),
    p99Ms: Math.max(...ms),
    setupMs: null,
  }));
}

/**
 * Measures ssh-L, ssh-D, forward-direct, socks-direct, forward-relay and socks-relay (and `alongside`) side by side,
 * then term-echo-idle and term-echo-load. A row that cannot be measured is left out with a note (the
 * caller prints it empty); never throws.
 */
export async function measureAgentRows(
  log: (line: string) => void,
  only: RowSelection = null,
  /** Paths prepared elsewhere (raw-tls, direct) that are compared with ssh-L: measured in the same turns. */
  alongside: readonly NamedPath[] = [],
): Promise<AgentRows> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  // measureSideBySide closes what it is given; until then `alongside` is ours to close.
  let handedOver = false;
  const sink = startChild('./peer-child.ts');
  const any = (rows: readonly string[]) => rows.some((r) => selects(only, r));
  const wantsTermEcho = any([
    'term-echo-idle',
    'term-echo-relay',
    'ssh-echo',
    'term-echo-load',
    ...ECHO_FLOORS.map(([name]) => name),
  ]);
  const wantsUiEcho = any(['ui-echo', 'ui-echo-bytes']);
  const wantsStart = any(START_ROWS);
  const wantsEcho = wantsTermEcho || wantsUiEcho || wantsStart;
  const sshRows = ['ssh-L', 'ssh-D', 'ssh-L-short', 'ssh-D-short', 'first-byte-ssh-L'];
  const wantsPaths = any([
    ...sshRows,
    ...['forward', 'socks'].flatMap((k) =>
      ['direct', 'relay'].flatMap((m) => [`${k}-${m}`, `${k}-${m}-short`]),
    ),
    'first-byte-forward',
  ]);
  const wantsSsh = any([...sshRows, 'ssh-echo', 'ssh-true']);
  try {
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    const paths: NamedPath[] = [];
    let ssh: Awaited<ReturnType<typeof startSshForward>> | undefined;
    if (wantsSsh) {
      log('starting sshd and ssh -L/-D…');
      ssh = await startSshForward(sinkPort, log);
      stops.push(() => ssh!.stop());
      notes.push(...ssh.notes);
      if (wantsPaths) paths.push(...ssh.paths);
    }
    let direct: AgentPair | undefined;
    let relayed: AgentPair | undefined;
    // reverse-direct is compared with forward-direct (measured in the same turns), over direct only.
    const wantsReverse = selects(only, 'reverse-direct');
    const wanted = (row: string, mode: PairMode) =>
      row === 'reverse'
        ? mode === 'direct' && wantsReverse
        : selects(only, `${row}-${mode}`) ||
          selects(only, `${row}-${mode}-short`) ||
          (row === 'forward' && mode === 'direct' && (wantsReverse || selects(only, 'first-byte-forward')));
    for (const mode of ['direct', 'relay'] as const satisfies readonly PairMode[]) {
      const needed =
        PREPARE.some(({ row }) => wanted(row, mode)) ||
        (mode === 'direct' && wantsEcho) ||
        (mode === 'relay' && selects(only, 'term-echo-relay'));
      if (!needed) continue;
      log(`starting two clawbridge agents (${mode})…`);
      let pair: AgentPair;
      try {
        pair = await startAgentPair(mode);
      } catch (err) {
        for (const { row } of PREPARE) {
          if (wanted(row, mode)) notes.push(`${row}-${mode} not available: ${(err as Error).message}`);
        }
        continue;
      }
      stops.push(() => pair.stop());
      if (mode === 'direct') direct = pair;
      else relayed = pair;
      log(`  agents up, b online on the ${mode} path after ${(pair.readyMs / 1000).toFixed(1)} s`);
      for (const { row, prepare } of PREPARE) {
        if (!wanted(row, mode)) continue;
        try {
          paths.push(await prepare(pair, sinkPort));
        } catch (err) {
          notes.push(`${row}-${mode} not available: ${(err as Error).message}`);
        }
      }
    }
    results.push(...(await measureFirstBytes(paths, only, notes, log)));
    paths.unshift(...alongside);
    handedOver = true;
    // With only the first-byte rows asked for (`--only first-byte`), the paths they used are not
    // measured further; any other selection measures them all, as before (its ratios need ssh-L).
    const onlyFirstBytes = only !== null && only.every((name) => /^first-byte(-|$)/.test(name));
    if (paths.length > 0 && !onlyFirstBytes) {
      const measured = await measureSideBySide(paths, log);
      results.push(...measured.results);
      notes.push(...measured.notes);
      if (direct) {
        const dialer = await linkDialer(direct).catch(() => null);
        notes.push(
          `the direct pair's link was dialed by ${dialer ?? 'neither (b offline)'} after the downloads (a dialer reads into reused slabs, ADR 0039)`,
        );
      }
      if (relayed) {
        const opener = await linkDialer(relayed).catch(() => null);
        notes.push(
          `the relay pair's link was opened by ${opener ?? 'neither (b offline)'} after the downloads (its opener is the splice's TLS client, which reads into reused slabs, ADR 0040)`,
        );
      }
    }
    if (!wantsEcho) {
      // Nothing more to measure on the direct pair.
    } else if (direct) {
      if (wantsTermEcho) {
        const clients: EchoClient[] = [];
        const pairs = [
          ['term-echo-idle', direct],
          ['term-echo-relay', relayed],
        ] as const;
        for (const [name, pair] of pairs) {
          if (!selects(only, name) && !(name === 'term-echo-idle' && selects(only, 'term-echo-load')))
            continue;
          if (pair) clients.push({ name, open: () => openEchoTerminal(pair.homeA) });
          else notes.push(`${name} not available: its agent pair did not start`);
        }
        const sshCommand = ssh?.command;
        if (selects(only, 'ssh-echo')) {
          if (sshCommand) {
            const { file, args } = sshCommand(ECHO_SHELL_LINE, true);
            clients.push({ name: 'ssh-echo', open: () => openEchoPty(file, args, 'ssh -tt') });
          } else notes.push('ssh-echo not available: OpenSSH did not start');
        }
        // In the same blocks of keys: how much of each echo row is the machine's (bench/echo-floor.ts).
        for (const [name, processes] of ECHO_FLOORS) {
          if (selects(only, name)) clients.push(echoFloorClient(name, processes));
        }
        log('measuring the terminal echo rows…');
        const term = await measureTerminalEcho(
          clients,
          selects(only, 'term-echo-load') ? direct.homeA : null,
          log,
        );
        results.push(...term.results);
        notes.push(...term.notes);
      }
      if (wantsStart) {
        const start = await measureStartRows({ homeA: direct.homeA, ssh: ssh?.command ?? null, only, log });
        results.push(...start.results);
        notes.push(...start.notes);
      }
      if (selects(only, 'ui-echo') || selects(only, 'ui-echo-bytes')) {
        // Right after term-echo, on the same pair, to the same `cat` on b.
        log('measuring ui-echo…');
        const t0 = performance.now();
        const ui = await measureUiEcho(direct.homeA, log);
        log(`  ui-echo done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        results.push(...ui.results);
        notes.push(...ui.notes);
      }
    } else {
      notes.push('the echo rows are not available: the direct agent pair did not start');
    }
  } catch (err) {
    notes.push(`agent rows stopped early: ${(err as Error).message}`);
  } finally {
    if (!handedOver) await Promise.allSettled(alongside.map(async (p) => p.close()));
    await Promise.all(stops.map((stop) => stop()));
    await sink.stop();
  }
  return { results, notes };
}
