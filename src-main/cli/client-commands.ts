/**
 * CLI commands that talk to the running agent over its control socket.
 */
import { addressWithWhere, pathLabel } from '../core/path-label.js';
import type { Command } from 'commander';
import { ControlClient } from '../api/control-client.js';
import type { MethodName, MethodParams, MethodResults, PeerInfo } from '../api/contract.js';
import { ClawError, errorMessage, hintOf, isClawError } from '../core/errors.js';
import { controlSocketPath, resolveHome } from '../home/home-dir.js';
import { allowStrayWords, refuseStrayWords } from './list-or-subcommand.js';
import { age, formatRtt, hintCommand, printBlock, printJson, printLine, printNote } from './output.js';
import { argvSecretWarning, readSecretFile } from './secret-file.js';
import { table } from './table.js';
import { plainPunctuation } from './plain-punctuation.js';
import { lineWithHint } from '../core/hint.js';
import {
  defaultAllow,
  describeAllow,
  describeLimits,
  describeListenLimits,
  parseAllow,
  parsePermission,
  permissionList,
  permissionWords,
} from './permissions.js';
import { parseWait, retryFor } from './wait-for.js';
import { nameKey } from '../state/peer-names.js';
import { mineText, registerMineSubcommands, revokedText } from './mine-peers.js';
import { registerRetrySubcommand } from './peers-retry.js';

export interface HomeOpts {
  home?: string;
  json?: boolean;
}

export async function withAgent<T>(opts: HomeOpts, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const home = resolveHome(opts.home);
  const client = await ControlClient.connect(controlSocketPath(home), home);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export function call<M extends MethodName>(
  opts: HomeOpts,
  method: M,
  params: MethodParams<M>,
  timeoutMs?: number,
): Promise<MethodResults[M]> {
  return withAgent(opts, (c) => c.call(method, params, timeoutMs));
}

/**
 * A subcommand's options with its group's (`peers --home H add …`): every command takes `--home` and
 * `--json` before or after its subcommand; the subcommand's own win.
 */
export function withGroupOpts<T extends HomeOpts>(opts: T, cmd: Command): T {
  return { ...(cmd.parent?.opts<HomeOpts>() ?? {}), ...opts };
}

/** How long `clawbridge stop` waits for the agent to finish stopping (closing links and listeners). */
const STOP_WAIT_MS = 30_000;

/** What `stop --help` says after the options: a stop hands the terminals on peers over. */
const STOP_HELP = `
A \`clawbridge agent\` hands the terminals it has open on peers over instead of hanging
them up: each peer keeps its shell for its resume window (60 s by default), \`term\`
waits for the agent to come back, and the next agent takes the web UI's tabs up again.
Start the agent again within that window (as an upgrade does) and they carry on in the
same shells; otherwise the peers hang them up. The desktop app's agent hangs them up,
as Quit does. Shells served here (peers' terminals on this node) end with the stop.`;

/** Whether an agent still listens on the control socket at `path`. */
async function agentAnswers(path: string, home: string): Promise<boolean> {
  try {
    (await ControlClient.connect(path, home)).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Peers by name as a reader expects: case ignored, and accents too at first (`école` among the e's),
 * then the exact spelling. No Intl.Collator: making one loads ICU's collation data into every command.
 */
function byName(peers: PeerInfo[]): PeerInfo[] {
  const keyed = peers.map((p) => {
    const exact = nameKey(p.name);
    return { p, base: exact.normalize('NFD').replace(/\p{M}/gu, ''), exact };
  });
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return keyed.sort((x, y) => order(x.base, y.base) || order(x.exact, y.exact)).map((k) => k.p);
}

/** The `peers` table (on a terminal, its rows fit its width: fitted-listings.ts). */
export function peerTable(peers: PeerInfo[], home: string | undefined): string {
  if (peers.length === 0)
    return `no peers yet: add one with \`${hintCommand('peers add FINGERPRINT --name NAME', home)}\``;
  return peerRows(peers, home);
}

function peerRows(peers: PeerInfo[], home: string | undefined): string {
  return table(
    // ALLOWED HERE: what the peer may do on this node; ALLOWED THERE: what this node may do on the peer.
    [
      'NAME',
      'FINGERPRINT',
      'STATUS',
      'PATH',
      'ADDRESS',
      'LINK FROM',
      'RTT',
      'SINCE',
      'MINE',
      'ALLOWED HERE',
      'ALLOWED THERE',
      'WHY',
    ],
    // By name, as a person looks one up (the agent lists them in the order they were added).
    byName(peers).map((p) => [
      p.name,
      p.fingerprint.slice(0, 8),
      p.state,
      pathLabel(p),
      addressColumn(p),
      linkFrom(p),
      formatRtt(p.rttMs),
      age(p.since),
      mineText(p, peers),
      p.allow.join(',') || 'none',
      allowedThere(p),
      peerWhy(p, home),
    ]),
  );
}

/**
 * The ADDRESS column of `peers`: where the path in use reaches the peer, else where it listens, each
 * with where it stands (`192.168.1.10:7475 (its own LAN)`, `… (punched)`; core/path-label.ts).
 */
export function addressColumn(
  p: Pick<PeerInfo, 'address' | 'addressWhere' | 'listenAddress' | 'listenAddressWhere'>,
): string {
  // A route is the agent's `via b → c`: in ASCII, as the rest of the CLI.
  if (p.address !== null) return plainPunctuation(addressWithWhere(p.address, p.addressWhere));
  if (p.listenAddress !== null) return addressWithWhere(p.listenAddress, p.listenAddressWhere);
  return '-';
}

/**
 * The ALLOWED THERE column of `peers`: what the peer said it lets this node do (docs/protocol.md
 * §Grants), or `unknown` until it has said so (not linked since the agent started, or an older peer).
 */
export function allowedThere(p: Pick<PeerInfo, 'theyAllow'>): string {
  if (p.theyAllow === null) return 'unknown';
  return p.theyAllow.join(',') || 'none';
}

/**
 * The LINK FROM column of `peers`: `this node` when we dialed, else where the peer's link came from (for
 * a direct link, its outgoing port, which is not where it listens: that is ADDRESS).
 */
export function linkFrom(p: PeerInfo): string {
  if (!p.linkFrom) return '-';
  return p.linkFrom.dialedBy === 'us' ? 'this node' : p.linkFrom.remote;
}

/**
 * The PATH column of `peers`: `direct`, `relay`, or `relay (spliced)`, in the window's words too
 * (core/path-label.ts). A relay link that stays `relay` has something in the way of splices (an older
 * peer or relay, a TLS proxy in front of the relay) and runs at the E2E channel's slower pace.
 */
export { pathLabel };

/**
 * The last column of `peers`: why a peer is not online (with the command it says to run, given this
 * command's `home`), or why it is relayed ("why relayed?").
 */
export function peerWhy(p: PeerInfo, home?: string): string {
  // The agent words these for the window (typography); the CLI prints them in ASCII.
  if (p.state !== 'online')
    return p.stateDetail === null ? '-' : lineWithHint(plainPunctuation(p.stateDetail), p.stateHint, home);
  return p.relayReason ? `relayed: ${plainPunctuation(p.relayReason)}` : '-';
}

/** `peers add`'s relay token: from `--relay-token-file`, or `--relay-token` with a warning (ps). */
function peerRelayToken(opts: { relayToken?: string; relayTokenFile?: string }): string | undefined {
  if (opts.relayToken !== undefined && opts.relayTokenFile !== undefined) {
    throw new ClawError(
      'BAD_ARGUMENT',
      '--relay-token and --relay-token-file both give the token; keep the file',
    );
  }
  if (opts.relayTokenFile !== undefined)
    return readSecretFile('--relay-token-file', opts.relayTokenFile, printNote);
  if (opts.relayToken) printNote(argvSecretWarning('--relay-token', '--relay-token-file FILE'));
  return opts.relayToken;
}

export function registerClientCommands(program: Command): void {
  const peers = program
    .command('peers')
    .description('list, add and remove peers (needs a running agent)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .option('--wide', "print each peer's row whole, wider than the terminal")
    .action(async (opts: HomeOpts & { wide?: boolean }, cmd: Command) => {
      refuseStrayWords(cmd);
      const list = await call(opts, 'peers.list', {});
      if (opts.json) printJson(list);
      else printBlock(peerTable(list, opts.home));
    });

  peers
    .command('add <fingerprint>')
    .description('trust a node by its fingerprint; a link comes up once it has added this node too')
    .requiredOption('--name <name>', 'a short name for the peer')
    .option('--address <host:port>', "hint for the peer's direct address (learned automatically otherwise)")
    .option(
      '--allow <list>',
      `what the peer may do here: ${permissionList()} or none (a new peer: ${defaultAllow().join(',')}; a known one keeps its own)`,
    )
    .option('--rename', 'the node is already a peer under another name: call it --name now')
    .option('--mine', 'it is one of your devices: it and this node introduce each other to your others')
    .option('--relay <url>', "the peer's relay, when it is not on one this node uses (learned otherwise)")
    .option('--relay-fingerprint <hex>', "pin that relay's self-signed TLS certificate")
    .option('--relay-token-file <file>', "that relay's access token, when it asks for one, from a file")
    .option('--relay-token <token>', 'the same on the command line, where other users see it (ps)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(
      async (
        fingerprint: string,
        opts: HomeOpts & {
          name: string;
          address?: string;
          allow?: string;
          rename?: boolean;
          mine?: boolean;
          relay?: string;
          relayFingerprint?: string;
          relayToken?: string;
          relayTokenFile?: string;
        },
        cmd: Command,
      ) => {
        const all = withGroupOpts(opts, cmd);
        const relayToken = peerRelayToken(opts);
        // Adding a known peer again renames it, adds an address or changes what it may do: say so.
        const known = new Set((await call(all, 'peers.list', {})).map((x) => x.fingerprint));
        const peer = await call(all, 'peers.add', {
          fingerprint,
          name: opts.name,
          ...(opts.allow !== undefined ? { allow: parseAllow(opts.allow) } : {}),
          ...(opts.address ? { address: opts.address } : {}),
          ...(opts.rename ? { rename: true } : {}),
          ...(opts.mine ? { mine: true } : {}),
          ...(opts.relay !== undefined ? { relay: opts.relay } : {}),
          ...(opts.relayFingerprint !== undefined ? { relayFingerprint: opts.relayFingerprint } : {}),
          ...(relayToken !== undefined ? { relayToken } : {}),
        });
        if (all.json) printJson(peer);
        else
          printLine(
            `${known.has(peer.fingerprint) ? 'updated' : 'added'} peer ${peer.name} (${peer.fingerprint}), allowed here: ${describeAllow(peer.allow)}`,
          );
      },
    );

  for (const verb of ['allow', 'deny'] as const) {
    peers
      .command(`${verb} <peer> <permissions>`)
      .description(
        verb === 'allow'
          ? `let a peer use ${permissionWords()} on this node (one, or a list: terminal,forward)`
          : `stop a peer using ${permissionWords()} on this node (one, or a list: terminal,forward)`,
      )
      .option('--home <dir>', 'node home directory')
      .option('--json', 'print JSON')
      .action(async (ref: string, permissions: string, opts: HomeOpts, cmd: Command) => {
        const all = withGroupOpts(opts, cmd);
        // A list as `approve --allow` takes it: every name is checked before anything changes.
        const list = [...new Set(permissions.split(',').map(parsePermission))];
        let peer!: PeerInfo;
        for (const permission of list) {
          peer = await call(all, verb === 'allow' ? 'peers.allow' : 'peers.deny', { peer: ref, permission });
        }
        if (all.json) printJson(peer);
        else printLine(`${peer.name} may now do here: ${describeAllow(peer.allow)}`);
      });
  }

  peers
    .command('limit <peer> [patterns...]')
    .description(
      "limit where a peer's forwards and proxied connections may go on this node: HOST:PORT patterns with * (e.g. '*.corp.example:443' '10.0.0.*:22'), or --any",
    )
    .option('--any', 'lift the limits: the peer may forward anywhere (the default)')
    .option(
      '--listen',
      "the patterns (or --any) limit where the peer's reverse forwards may listen here instead (default: any loopback port)",
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        patterns: string[],
        opts: HomeOpts & { any?: boolean; listen?: boolean },
        cmd: Command,
      ) => {
        const all = withGroupOpts(opts, cmd);
        if (opts.any === true && patterns.length > 0) {
          throw new ClawError('BAD_ARGUMENT', 'give HOST:PORT patterns or --any, not both');
        }
        if (opts.any !== true && patterns.length === 0) {
          throw new ClawError(
            'BAD_ARGUMENT',
            "give HOST:PORT patterns (e.g. '*.corp.example:443') or --any to lift the limits",
          );
        }
        const limits = opts.any ? null : patterns;
        const peer = await call(
          all,
          'peers.limit',
          opts.listen ? { peer: ref, listenOn: limits } : { peer: ref, forwardTo: limits },
        );
        if (all.json) printJson(peer);
        else if (opts.listen)
          printLine(`${peer.name} may now listen here ${describeListenLimits(peer.listenOn)}`);
        else printLine(`${peer.name} may now forward ${describeLimits(peer.forwardTo)}`);
      },
    );

  peers
    .command('route <peer>')
    .description(
      'reach a peer only through other peers, in order (like ssh -J): each hop must allow this node relay',
    )
    .option(
      '--via <hop>',
      'a peer to go through (repeat for more hops, first hop first; at most 4)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--clear', 'reach the peer directly again (or through a relay)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: HomeOpts & { via: string[]; clear?: boolean }, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (opts.clear === true && opts.via.length > 0) {
        throw new ClawError('BAD_ARGUMENT', 'give --via HOP... or --clear, not both');
      }
      if (opts.clear !== true && opts.via.length === 0) {
        throw new ClawError('BAD_ARGUMENT', 'give --via HOP (repeat for more hops) or --clear');
      }
      const peer = await call(all, 'peers.route', { peer: ref, via: opts.clear ? null : opts.via });
      if (all.json) printJson(peer);
      else if (peer.route) printLine(`${peer.name} is reached via ${peer.route.join(' -> ')} from now on`);
      else printLine(`${peer.name} is reached directly (or through a relay) again`);
    });

  peers
    .command('rename <peer> <name>')
    .description('give a peer another local name (forwards through it follow)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, name: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      // The new name is an argument here, not --name: say it in those words.
      const peer = await call(all, 'peers.rename', { peer: ref, name }).catch((err: unknown) => {
        if (!isClawError(err)) throw err;
        throw new ClawError(
          err.code,
          err.message.replace(/^invalid parameters for peers\.rename: name: /, 'the new name: '),
        );
      });
      if (all.json) printJson(peer);
      else printLine(`renamed peer ${ref} to ${peer.name} (${peer.fingerprint})`);
    });

  peers
    .command('remove <peer>')
    .alias('rm')
    .description('forget a peer (by name or fingerprint) and close its links')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      // One of your devices goes from all of them (ADR 0056): peers.revoke says whether it did.
      const removed = await call(all, 'peers.revoke', { peer: ref });
      if (all.json) printJson(removed);
      else printLine(revokedText(removed));
    });

  registerMineSubcommands(peers, { call, withGroupOpts });
  registerRetrySubcommand(peers, { call, withGroupOpts });

  program
    .command('stop')
    .description('ask the running agent to shut down cleanly and wait until it has')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText('after', STOP_HELP)
    .action(async (opts: HomeOpts) => {
      const home = resolveHome(opts.home);
      const path = controlSocketPath(home);
      const r = await call(opts, 'agent.stop', {}).catch((err: unknown) => {
        if (isClawError(err, 'NO_AGENT')) throw new ClawError('NO_AGENT', `no agent is running for ${home}`);
        throw err;
      });
      // The agent closes its control socket last (after forwards, terminals and peers): gone means done.
      const deadline = Date.now() + STOP_WAIT_MS;
      while (await agentAnswers(path, home)) {
        if (Date.now() > deadline) {
          throw new ClawError(
            'INTERNAL',
            `agent ${r.name} did not stop within ${STOP_WAIT_MS / 1000} s; end its process (Ctrl-C, kill)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (opts.json) printJson(r);
      else printLine(`agent ${r.name} stopped`);
    });

  program
    .command('ping <peer>')
    .description('measure the round trip to a peer and show which path it takes')
    .option('--count <n>', 'number of pings', '1')
    .option(
      '--wait <duration>',
      'wait this long (e.g. 30s) for the peer (and the agent) to come online first',
    )
    .option('--home <dir>', 'node home directory')
    .option(
      '--json',
      'print JSON: the reply; with --count above 1, an array of replies and {"error"} entries',
    )
    .action(async (peer: string, opts: HomeOpts & { count: string; wait?: string }) => {
      const waitMs = parseWait(opts.wait);
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1 || count > 10_000) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `--count must be a whole number from 1 to 10000, got '${opts.count}'`,
        );
      }
      let replies = 0;
      const results: unknown[] = [];
      // Only the first ping waits: once the peer has answered, a missing reply is a result to report.
      if (waitMs > 0)
        // LINK_CLOSED: the link it asked on closed meanwhile (one of two links dialed at once right
        // after pairing): the next try uses the one that stays.
        // PEER_NOT_FOUND: one of your devices still being introduced (ADR 0056) is not a peer yet.
        await retryFor(waitMs, ['NO_AGENT', 'PEER_OFFLINE', 'LINK_CLOSED', 'PEER_NOT_FOUND'], () =>
          withAgent(opts, (c) => c.call('ping', { peer })).then(() => true),
        );
      await withAgent(opts, async (c) => {
        for (let i = 0; i < count; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 1000));
          try {
            const r = await c.call('ping', { peer });
            replies++;
            if (opts.json) results.push(r);
            // A routed link's remote reads `via b → c` already.
            else if (r.path === 'route')
              printLine(`pong from ${r.peer} ${plainPunctuation(r.remote)} in ${r.rttMs.toFixed(2)} ms`);
            else printLine(`pong from ${r.peer} via ${r.path} ${r.remote} in ${r.rttMs.toFixed(2)} ms`);
          } catch (err) {
            // A peer that is not there (or a name that could be two) is no missed reply: said once.
            if (count === 1 || isClawError(err, 'PEER_NOT_FOUND') || isClawError(err, 'BAD_ARGUMENT'))
              throw err;
            const message = lineWithHint(errorMessage(err), hintOf(err), opts.home);
            if (opts.json) results.push({ error: message });
            else printLine(`no reply: ${message}`);
          }
        }
      });
      if (opts.json) printJson(count === 1 ? results[0] : results);
      if (replies === 0) process.exitCode = 1;
    });
  allowStrayWords(peers);
}
