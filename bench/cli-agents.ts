/**
 * Two real `clawbridge agent` processes, `a` (the side the bench drives) and `b` (where forwards exit
 * and terminals run), started from the built CLI (bin/clawbridge.js) as a user would: fresh homes in a
 * temp dir, peers added both ways with `clawbridge peers add`, and ready once `peers --json` on `a`
 * shows `b` online on the wanted path. `direct`: both listen on 127.0.0.1:0. `relay`: both run with
 * `--no-direct` against a `clawbridge relay` process as a user runs one, over wss:// with its own
 * self-signed certificate, pinned by `--relay-fingerprint`: the TLS to the relay costs every process on
 * the path CPU (a `--no-tls` relay made the relay rows ~25 % faster than what users get). Every process
 * is ended by its PID.
 */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHostPort } from '../src-main/core/host-port.js';
import { loadOrCreateIdentity } from '../src-main/home/identity-store.js';
import { REPO_ROOT, type CommandWrap } from './child.js';
import { killByPid, launch, runToEnd, type Launched } from './processes.js';

/**
 * The built CLI (`npm run bench` builds first), or another build's (CLAWBRIDGE_BENCH_CLI=/path/to/
 * bin/clawbridge.js): bench:compare runs this checkout's bench against REF's build that way (ADR 0108).
 */
export const CLI = process.env.CLAWBRIDGE_BENCH_CLI || join(REPO_ROOT, 'bin', 'clawbridge.js');
/** How long one short CLI command (`peers add`, `forward add`…) may take, in ms. */
export const CLI_TIMEOUT_MS = 20_000;
/** How long an agent or the relay may take to print its ready line, in ms. */
const START_TIMEOUT_MS = 20_000;
/**
 * Extra Node options for the agents only, from CLAWBRIDGE_BENCH_AGENT_NODE_ARGS (space-separated), to
 * find where their time goes: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` writes a CPU profile of each
 * agent when it stops (NODE_OPTIONS does not allow --cpu-prof).
 */
const AGENT_NODE_ARGS = (process.env.CLAWBRIDGE_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** How long `b` may take to show up online on the wanted path after the peers were added, in ms. */
const PATH_TIMEOUT_MS = 30_000;
/** Pause between two `peers --json` polls, in ms (each poll is a CLI start, ~0.3 s of CPU). */
const PATH_POLL_MS = 250;

export type PairMode = 'direct' | 'relay';

export interface AgentPair {
  readonly mode: PairMode;
  /** Home of agent `a`, for `--home` of the CLI commands that drive it. */
  readonly homeA: string;
  /** Home of agent `b` (the reverse forward row drives b). */
  readonly homeB: string;
  /** The built CLI the pair runs. */
  readonly cli: string;
  /** Time from starting the processes to `b` being online on the path, in ms. */
  readonly readyMs: number;
  /** PIDs of agents a and b and of the relay in relay mode (the UDP and forward rows read their CPU time). */
  readonly pids: { readonly a: number; readonly b: number; readonly relay?: number };
  /** Runs `clawbridge ARGS --home A` to its end and returns its stdout. */
  onA(args: string[]): Promise<string>;
  /** The same on agent `b`. */
  onB(args: string[]): Promise<string>;
  /** Ends every process of the pair by its PID and removes the homes. */
  stop(): Promise<void>;
}

/** Runs one `clawbridge` command (of the build at `cli`) to its end and returns its stdout. */
export function runCli(args: string[], cli = CLI): Promise<string> {
  return runToEnd(
    process.execPath,
    [cli, ...args],
    CLI_TIMEOUT_MS,
    `clawbridge ${args.slice(0, 2).join(' ')}`,
  );
}

/** The peer as `peers --json` lists it (only the fields the bench reads). */
interface ListedPeer {
  name: string;
  online: boolean;
  path: string | null;
  linkFrom?: { dialedBy: 'us' | 'peer' } | null;
}

/**
 * Which agent dialed the pair's link now, from a's `peers --json` (null while b is offline): only a
 * dialer's TLS socket reads into reused slabs (ADR 0039), so a download's cost depends on it.
 */
export async function linkDialer(pair: AgentPair): Promise<'a' | 'b' | null> {
  const list = JSON.parse(await pair.onA(['peers', '--json'])) as ListedPeer[];
  const from = list.find((x) => x.name === 'b')?.linkFrom;
  return from ? (from.dialedBy === 'us' ? 'a' : 'b') : null;
}

async function waitForPath(homeA: string, peer: string, mode: PairMode, cli: string): Promise<void> {
  const deadline = performance.now() + PATH_TIMEOUT_MS;
  let last = 'never listed';
  while (performance.now() < deadline) {
    const list = JSON.parse(await runCli(['peers', '--json', '--home', homeA], cli)) as ListedPeer[];
    const p = list.find((x) => x.name === peer);
    if (p?.online && p.path === mode) return;
    last = p ? `online ${p.online}, path ${p.path ?? 'none'}` : 'not listed';
    await new Promise((r) => setTimeout(r, PATH_POLL_MS));
  }
  throw new Error(`peer ${peer} was not online on the ${mode} path within ${PATH_TIMEOUT_MS} ms (${last})`);
}

/**
 * Starts the relay (relay mode), agents a and b, adds them as each other's peers, waits for the path.
 * `cli` is the build to run: bench/compare.ts starts a pair of another commit's build next to ours.
 */
export interface PairPlacement {
  /** Runs agent a elsewhere (bench/packet-link.ts: the client side's network namespace). */
  wrapA?: CommandWrap;
  /** Runs agent b elsewhere (bench/serving-netns.ts: its own network namespace). */
  wrapB?: CommandWrap;
  /**
   * Direct mode: where a and b listen instead of 127.0.0.1:0 (addresses of their namespaces); a is
   * given b's.
   */
  listen?: { a: string; b: string };
  /**
   * The port a dials for b's direct listener port (an emulated link's, bench/emulated-link.ts); a is
   * then given no other address of b, and b none of a.
   */
  reachB?: (port: number) => Promise<number>;
  /**
   * Relay mode: the ports a and b dial for the relay's port (emulated links on each side of the relay),
   * instead of the relay's own.
   */
  reachRelay?: (port: number) => Promise<{ a: number; b: number }>;
  /** Relay mode: a relay already running (bench/relay-scale.ts) instead of one started for the pair. */
  relay?: { url: string; fingerprint: string };
  /**
   * Direct mode: a relay started for the pair too, both agents on it with their direct links on (they
   * link directly): for what meets on a relay and then links directly (bench/file-code.ts).
   */
  relayToo?: boolean;
}

/**
 * Gives homes `a` and `b` identities such that a's fingerprint sorts first. When both nodes open a link
 * at once (over the relay both can), each keeps the one the lower fingerprint opened
 * (links/peer-links.ts), so this makes a the opener of every link that survives, as ssh's client is of
 * its connection; left to chance, half the runs had b open the relay link.
 */
async function identitiesWithAFirst(homeA: string, homeB: string): Promise<void> {
  const [a, b] = await Promise.all([loadOrCreateIdentity(homeA), loadOrCreateIdentity(homeB)]);
  if (a.fingerprint < b.fingerprint) return;
  const swap = `${homeA}.swap`;
  renameSync(homeA, swap);
  renameSync(homeB, homeA);
  renameSync(swap, homeB);
}

export async function startAgentPair(
  mode: PairMode,
  cli = CLI,
  { wrapA, wrapB, listen, reachB, reachRelay, relay: given, relayToo }: PairPlacement = {},
): Promise<AgentPair> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-agents-'));
  const homeA = join(dir, 'a');
  const homeB = join(dir, 'b');
  const procs: Launched[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => killByPid(p.proc)));
    rmSync(dir, { recursive: true, force: true });
  };
  // Warnings only: the agents and the relay log to stderr, and an info line per connection is noise.
  const env = { ...process.env, CLAWBRIDGE_LOG: 'warn' };
  try {
    let pathArgs = ['--listen', '127.0.0.1:0'];
    let relayArgs: ((side: 'a' | 'b') => string[]) | undefined;
    let relayPid: number | undefined;
    if (mode === 'relay' && given) {
      pathArgs = ['--relay', given.url, '--relay-fingerprint', given.fingerprint, '--no-direct'];
    } else if (mode === 'relay' || relayToo) {
      const relay = launch(
        process.execPath,
        [cli, 'relay', '--home', join(dir, 'relay'), '--listen', '127.0.0.1:0'],
        env,
      );
      procs.push(relay);
      relayPid = relay.proc.pid;
      const [, url, fingerprint] = await relay.waitFor(
        /relay listening on (wss:\/\/\S+) fingerprint ([0-9a-f]{64})/,
        START_TIMEOUT_MS,
        'relay',
      );
      pathArgs = [
        '--relay',
        url!,
        '--relay-fingerprint',
        fingerprint!,
        ...(mode === 'direct' ? ['--listen', '127.0.0.1:0'] : ['--no-direct']),
      ];
      if (reachRelay) {
        const relayUrl = new URL(url!);
        const ports = await reachRelay(Number(relayUrl.port));
        relayArgs = (side) => {
          const u = new URL(url!);
          u.port = String(ports[side]);
          return ['--relay', u.toString(), '--relay-fingerprint', fingerprint!, '--no-direct'];
        };
      }
    }
    const startAgent = async (name: string, home: string) => {
      const plain = (cmd: string, args: string[]) => ({ cmd, args });
      const run = ((name === 'b' ? wrapB : wrapA) ?? plain)(process.execPath, [
        ...AGENT_NODE_ARGS,
        cli,
        'agent',
        '--home',
        home,
        '--name',
        name,
        ...(relayArgs
          ? relayArgs(name === 'b' ? 'b' : 'a')
          : listen && mode === 'direct'
            ? ['--listen', name === 'b' ? listen.b : listen.a]
            : pathArgs),
      ]);
      const agent = launch(run.cmd, run.args, env);
      procs.push(agent);
      const m = await agent.waitFor(
        /fingerprint ([0-9a-f]{64}), direct (\S+)/,
        START_TIMEOUT_MS,
        `agent ${name}`,
      );
      return { fingerprint: m[1]!, listen: m[2]!, pid: agent.proc.pid ?? 0 };
    };
    await identitiesWithAFirst(homeA, homeB);
    const [a, b] = await Promise.all([startAgent('a', homeA), startAgent('b', homeB)]);
    const hint = (x: { listen: string }) => (mode === 'direct' ? ['--address', x.listen] : []);
    const hintB =
      reachB && mode === 'direct'
        ? ['--address', `127.0.0.1:${await reachB(parseHostPort(b.listen).port)}`]
        : hint(b);
    // a, where the forward's client runs, dials b, as a laptop dials its server: b is told of a first
    // (so a's first dial is welcome) and given no address of it (behind the emulators it could not
    // reach a anyway); over the relay, where b can open a circuit too, a's lower fingerprint keeps
    // a's. Which side opens matters since ADR 0039 and 0040: only a dialer's TLS socket, and a splice's
    // TLS client, reads into reused slabs, so a download costs the receiving agent less when it opened.
    await runCli(['peers', 'add', a.fingerprint, '--name', 'a', '--home', homeB], cli);
    await runCli(['peers', 'add', b.fingerprint, '--name', 'b', ...hintB, '--home', homeA], cli);
    await waitForPath(homeA, 'b', mode, cli);
    return {
      mode,
      homeA,
      homeB,
      readyMs: performance.now() - t0,
      pids: { a: a.pid, b: b.pid, ...(relayPid !== undefined ? { relay: relayPid } : {}) },
      cli,
      onA: (args) => runCli([...args, '--home', homeA], cli),
      onB: (args) => runCli([...args, '--home', homeB], cli),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
