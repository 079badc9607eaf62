/**
 * `clawbridge forward …` (TCP forwards, like `ssh -L`) and `clawbridge proxy …` (SOCKS5 and HTTP proxies
 * whose connections exit at a peer, like `ssh -D`). All talk to the running agent, which keeps them.
 */
import type { Command } from 'commander';
import type { MethodParams, MethodResults, PeerInfo } from '../../api/contract.js';
import type { ForwardInfo, ProxyInfo } from '../forwards-contract.js';
import { ClawError } from '../../core/errors.js';
import { parseHostPort } from '../../core/host-port.js';
import { isLoopbackHost } from '../listener.js';
import { call, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { allowStrayWords, refuseStrayWords } from '../../cli/list-or-subcommand.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { hintCommand, printBlock, printJson, printLine, printNote } from '../../cli/output.js';
import { plainPunctuation } from '../../cli/plain-punctuation.js';
import { table } from '../../cli/table.js';
// In a module of its own, so a command that prints sizes does not load the forwards to do it.
import { formatBytes } from '../../cli/format-bytes.js';

function stateText(x: { state: string; error?: string }): string {
  return x.state === 'error' ? `error: ${plainPunctuation(x.error ?? 'unknown')}` : x.state;
}

/** Why a forward's connections fail while its exit peer is in each state but online. */
const AWAY: Record<Exclude<PeerInfo['state'], 'online'>, string> = {
  offline: 'is offline',
  unreachable: 'cannot be reached',
  waiting: 'has not approved this node yet',
  refused: 'refused this node',
};

/**
 * The state, and why connections fail although it listens: its exit peer is not online (AWAY), or is
 * no longer a peer (the window says the same beside each forward).
 */
function stateWithExit(x: ForwardInfo | ProxyInfo, peers: PeerInfo[] | undefined): string {
  const state = stateText(x);
  if (x.state !== 'listening' || x.via === null || peers === undefined) return state;
  const peer =
    x.viaFingerprint !== null
      ? peers.find((p) => p.fingerprint === x.viaFingerprint)
      : peers.find((p) => p.name === x.via);
  if (!peer) return x.viaFingerprint !== null ? `${state}; ${x.via} is no longer a peer` : state;
  return peer.state === 'online' ? state : `${state}; ${peer.name} ${AWAY[peer.state]}`;
}

/** The list, and the peers when they can be had (a forward's row says when its peer is away). */
function withPeers<M extends 'forward.list' | 'proxy.list'>(
  opts: HomeOpts,
  method: M,
): Promise<[MethodResults[M], PeerInfo[] | undefined]> {
  return Promise.all([call(opts, method, {}), call(opts, 'peers.list', {}).catch(() => undefined)]);
}

/** `forward|proxy enable|disable NAME`: switch one on or off (an off one stays saved, its port free). */
function registerToggles(parent: Command, what: 'forward' | 'proxy'): void {
  for (const verb of ['enable', 'disable'] as const) {
    parent
      .command(`${verb} <name>`)
      .alias(verb === 'enable' ? 'on' : 'off')
      .description(
        verb === 'enable'
          ? `start a ${what} that was switched off (binds its port again)`
          : `switch a ${what} off: it stays saved, its port is freed`,
      )
      .option('--home <dir>', 'node home directory')
      .option('--json', 'print JSON')
      .action(async (name: string, opts: HomeOpts, cmd: Command) => {
        const all = withGroupOpts(opts, cmd);
        const r = await call(all, verb === 'enable' ? 'forward.enable' : 'forward.disable', {
          name,
          kind: what,
        });
        if (all.json) printJson(r);
        // Forwards and proxies share one namespace: name the one that was switched by what it is.
        else printLine(`${r.kind === 'tcp' ? 'forward' : 'proxy'} ${r.name} (${r.local}): ${stateText(r)}`);
      });
  }
}

export function forwardTable(list: ForwardInfo[], home?: string, peers?: PeerInfo[]): string {
  if (list.length === 0) {
    return `no forwards yet: add one with \`${hintCommand('forward add --local PORT --via PEER --remote HOST:PORT', home)}\``;
  }
  return (
    table(
      ['NAME', 'DIR', 'LOCAL', 'VIA', 'REMOTE', 'OPEN', 'TOTAL', 'IN', 'OUT', 'STATE'],
      list.map((f) => [
        f.name,
        // `reverse`: VIA listens on REMOTE, and connections come here to LOCAL.
        f.direction,
        // A UDP forward says so where its port is, as `53/udp` does in /etc/services.
        f.protocol === 'udp' ? `${f.local}/udp` : f.local,
        f.via,
        f.remote,
        String(f.open),
        String(f.connections),
        formatBytes(f.bytesIn),
        formatBytes(f.bytesOut),
        stateWithExit(f, peers),
      ]),
    ) +
    udpLines(list) +
    problemLines(list, peers)
  );
}

/** Under the table, each UDP forward's flows and datagrams (IN and OUT count their payload bytes). */
function udpLines(list: ForwardInfo[]): string {
  const lines = list
    .filter((f) => f.protocol === 'udp')
    .map(
      (f) =>
        `${f.name}: UDP, flows idle out after ${f.udpIdleS ?? 60} s; datagrams in ${f.datagramsIn ?? 0}, out ${f.datagramsOut ?? 0}, dropped ${f.dropped ?? 0}${f.kernelDropped ? ` (${f.kernelDropped} by the kernel: its socket's receive buffer was full)` : ''}`,
    );
  return lines.length > 0 ? `\n\n${lines.join('\n')}` : '';
}

/** `60`, `60s`, `2m`, `1h` → seconds, for --udp-idle. */
export function parseIdleSeconds(text: string): number {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds >= 1 && seconds <= 3600)) {
    throw new ClawError('BAD_ARGUMENT', `--udp-idle '${text}': give a time from 1s to 1h, e.g. 60s or 5m`);
  }
  return seconds;
}

export function proxyTable(list: ProxyInfo[], home?: string, peers?: PeerInfo[]): string {
  if (list.length === 0) {
    return `no proxies yet: add one with \`${hintCommand('proxy add --socks 1080 --via PEER', home)}\``;
  }
  return (
    table(
      ['NAME', 'KIND', 'LOCAL', 'VIA', 'AUTH', 'OPEN', 'TOTAL', 'IN', 'OUT', 'STATE'],
      list.map((p) => [
        p.name,
        p.kind,
        p.local,
        p.via ?? '(user name)',
        // `none`: any program on this machine may use it, other users' too (docs/security.md).
        p.secret !== null ? 'password' : 'none',
        String(p.open),
        String(p.connections),
        formatBytes(p.bytesIn),
        formatBytes(p.bytesOut),
        stateWithExit(p, peers),
      ]),
    ) + problemLines(list, peers)
  );
}

/**
 * Under the table, what last went wrong with a listening forward's connections (its client saw only a
 * close), until a later one opens; not when its exit peer has come back online since (the window's
 * rule too): the notice went to the agent's output, which is often elsewhere.
 */
function problemLines(list: (ForwardInfo | ProxyInfo)[], peers: PeerInfo[] | undefined): string {
  const lines: string[] = [];
  for (const x of list) {
    const problem = x.lastProblem;
    if (x.state !== 'listening' || !problem) continue;
    const exit = peers?.find((p) => p.fingerprint === x.viaFingerprint);
    const backSince = exit?.state === 'online' && exit.since ? Date.parse(exit.since) : undefined;
    if (backSince !== undefined && backSince > Date.parse(problem.at)) continue;
    lines.push(escapeControlChars(`${x.name}: last problem at ${clockTime(problem.at)}: ${problem.message}`));
  }
  return lines.length > 0 ? `\n\n${lines.join('\n')}` : '';
}

/** `14:05:09` local time, with the local date when not today. */
function clockTime(iso: string): string {
  const t = new Date(iso);
  const hms = t.toTimeString().slice(0, 8);
  if (t.toDateString() === new Date().toDateString()) return hms;
  const day = [t.getFullYear(), t.getMonth() + 1, t.getDate()].map((n) => String(n).padStart(2, '0'));
  return `${day.join('-')} ${hms}`;
}

/** The warning printed when a listener is reachable from other machines (given --allow-remote-bind). */
function warnIfRemote(local: string, via: string | null): void {
  const { host } = parseHostPort(local, '127.0.0.1');
  if (isLoopbackHost(host)) return;
  printNote(
    `warning: ${local} accepts connections from other machines; anyone who can reach it can use ${
      via ? `${via}'s network` : "your peers' networks"
    }`,
  );
}

type AddOpts = HomeOpts & { name?: string; allowRemoteBind?: boolean };
/**
 * `forward add`'s own options; --listen and --to are other spellings of --local and --remote, and with
 * --reverse they say where the peer listens and where its connections go from here.
 */
type ForwardAddOpts = {
  reverse?: boolean;
  local?: string;
  listen?: string;
  via: string;
  remote?: string;
  to?: string;
  udp?: boolean;
  udpIdle?: string;
};

/**
 * `forward.add`'s ends from the flags: `--local`/`--remote`, or with `--reverse` `--listen`/`--to`
 * (the API's `remote` is the peer's side, `local` this node's, either way). Pure, unit-tested.
 */
export function forwardAddEnds(
  opts: Pick<ForwardAddOpts, 'local' | 'remote' | 'reverse' | 'listen' | 'to'>,
): Pick<MethodParams<'forward.add'>, 'local' | 'remote' | 'direction'> {
  if (opts.reverse) {
    if (opts.local !== undefined || opts.remote !== undefined) {
      throw new ClawError(
        'BAD_ARGUMENT',
        '--reverse takes --listen [HOST:]PORT (on the peer) and --to HOST:PORT (from here), not --local or --remote',
      );
    }
    if (opts.listen === undefined || opts.to === undefined) {
      throw new ClawError('BAD_ARGUMENT', '--reverse needs --listen [HOST:]PORT and --to HOST:PORT');
    }
    return { local: opts.to, remote: opts.listen, direction: 'reverse' };
  }
  if (
    (opts.listen !== undefined && opts.local !== undefined) ||
    (opts.to !== undefined && opts.remote !== undefined)
  ) {
    throw new ClawError(
      'BAD_ARGUMENT',
      '--listen is another spelling of --local, and --to of --remote: give each once',
    );
  }
  const local = opts.local ?? opts.listen;
  const remote = opts.remote ?? opts.to;
  if (local === undefined || remote === undefined) {
    throw new ClawError(
      'BAD_ARGUMENT',
      'forward add needs --local [HOST:]PORT and --remote HOST:PORT (or --listen and --to), or --reverse',
    );
  }
  return { local, remote };
}

/** What `forward add --help` says about reverse forwards (docs/security.md). */
const REVERSE_NOTE = `

With --reverse (like ssh -R) the peer listens on --listen and each connection made there comes back
over the link to --to as this node sees it. The peer must allow it (peers allow NAME listen there),
may limit the addresses (peers limit NAME --listen PATTERN), and listens on other than loopback only
if its owner started its agent with --allow-remote-reverse-listen. With --reverse --udp the peer
listens for UDP: each client address there is a flow, and its datagrams go to --to from here.`;

/** What `forward add --help` says about who else can use a forward (docs/security.md). */
const FORWARD_REACH_NOTE = `
A TCP forward carries no password: any program on this machine, another user's too, can connect to
its port. On a machine you share, forward only what you would let them reach, or use a proxy (which
has a password) instead.`;

/** What `proxy add --help` says about its password (docs/security.md). */
const PROXY_AUTH_NOTE = `
A new proxy has a password (its secret): without it, any program on this machine, another user's
too, could use the proxy to reach your peers' networks. Give curl the URL printed on add in its
environment (ALL_PROXY=socks5h://PEER:SECRET@127.0.0.1:1080 curl URL, or http://PEER:SECRET@...),
not with --proxy, where other users read it (ps); \`clawbridge proxy secret NAME --url\` prints it
again. The SOCKS user name still picks the exit peer (empty: --via). Browsers cannot send a SOCKS
password: for them add it with --no-auth, and know that every local user can then use it. Browsers
do ask for an HTTP proxy's password.`;

/**
 * The one line `proxy add` prints: where it listens, its exit, and how to give curl its URL: in the
 * environment, which only this user reads, not as `--proxy`, which every user reads in `ps`.
 */
function addedProxyLine(p: ProxyInfo): string {
  const exit = p.via ?? (p.kind === 'socks' ? 'named by the user name' : '');
  return `${p.kind} proxy ${p.name} on ${p.local}, exit ${exit}: ALL_PROXY=${p.url} curl URL`;
}

export function registerForwardCommands(program: Command): void {
  const forward = program
    .command('forward')
    .description('forward local TCP ports to host:port as seen from a peer (needs a running agent)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      refuseStrayWords(cmd);
      if (opts.json) return printJson(await call(opts, 'forward.list', {}));
      const [list, peers] = await withPeers(opts, 'forward.list');
      printBlock(forwardTable(list, opts.home, peers));
    });

  forward
    .command('add')
    .description(
      'listen on a local port; each connection goes to --remote HOST:PORT from --via PEER (with --reverse: PEER listens on --listen and connections come back here to --to)',
    )
    .option('--local <[host:]port>', 'where to listen (127.0.0.1 unless a host is given)')
    .requiredOption('--via <peer>', 'the peer the connections exit from (with --reverse: that listens)')
    .option('--remote <host:port>', 'the destination, as seen from the peer')
    .option('--reverse', "like ssh -R: the peer listens (needs permission 'listen' there)")
    .option(
      '--listen <[host:]port>',
      'where to listen: the same as --local, or with --reverse where the peer listens (its 127.0.0.1 unless a host is given)',
    )
    .option(
      '--to <host:port>',
      'where connections go: the same as --remote, or with --reverse as seen from this node',
    )
    .option('--udp', 'forward UDP datagrams instead of TCP connections (each client address is a flow)')
    .option('--udp-idle <time>', 'with --udp: end a client flow idle this long (default 60s)')
    .option(
      '--name <name>',
      'a name for the forward (default fwd-PORT, udp-PORT with --udp, rev-PORT with --reverse, rev-udp-PORT with both)',
    )
    .option('--allow-remote-bind', 'allow a --local address other machines can reach')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText('after', FORWARD_REACH_NOTE + REVERSE_NOTE)
    .action(async (opts: AddOpts & ForwardAddOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (!opts.reverse) {
        // Required, in either spelling: said as commander says a missing option, with the usage hint.
        if ((opts.local ?? opts.listen) === undefined)
          cmd.error(`error: required option '--local <[host:]port>' not specified`);
        if ((opts.remote ?? opts.to) === undefined)
          cmd.error(`error: required option '--remote <host:port>' not specified`);
      }
      if (opts.udpIdle !== undefined && !opts.udp) {
        throw new ClawError('BAD_ARGUMENT', '--udp-idle is for UDP forwards: add --udp');
      }
      const f = await call(all, 'forward.add', {
        ...forwardAddEnds(opts),
        via: opts.via,
        ...(opts.udp ? { protocol: 'udp' as const } : {}),
        ...(opts.udpIdle !== undefined ? { udpIdleS: parseIdleSeconds(opts.udpIdle) } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.allowRemoteBind ? { allowRemoteBind: true } : {}),
      });
      if (f.direction === 'local') warnIfRemote(f.local, f.via);
      if (all.json) printJson(f);
      else if (f.direction === 'reverse')
        printLine(
          `reverse ${f.protocol === 'udp' ? 'UDP ' : ''}forward ${f.name}: ${f.via}:${f.remote} -> ${f.local} (${stateText(f)})`,
        );
      else if (f.protocol === 'udp')
        printLine(`UDP forward ${f.name}: ${f.local} -> ${f.via} -> ${f.remote}`);
      else printLine(`forward ${f.name}: ${f.local} -> ${f.via} -> ${f.remote}`);
    });

  forward
    .command('list')
    .description('list forwards with their connection and byte counts')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (all.json) return printJson(await call(all, 'forward.list', {}));
      const [list, peers] = await withPeers(all, 'forward.list');
      printBlock(forwardTable(list, all.home, peers));
    });

  forward
    .command('rm <name>')
    .alias('remove')
    .description('stop a forward and free its port')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await call(all, 'forward.remove', { name });
      if (all.json) printJson(r);
      else printLine(`removed forward ${r.name}`);
    });

  registerToggles(forward, 'forward');

  const proxy = program
    .command('proxy')
    .description('local SOCKS5 / HTTP proxies whose connections exit at a peer (needs a running agent)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      refuseStrayWords(cmd);
      if (opts.json) return printJson(await call(opts, 'proxy.list', {}));
      const [list, peers] = await withPeers(opts, 'proxy.list');
      printBlock(proxyTable(list, opts.home, peers));
    });

  proxy
    .command('add')
    .description(
      'start a SOCKS5 (--socks) or HTTP (--http) proxy; a SOCKS client may pick the exit peer as its user name (socks5h://PEER:x@127.0.0.1:1080)',
    )
    .option('--socks <[host:]port>', 'SOCKS5 proxy address (127.0.0.1 unless a host is given)')
    .option('--http <[host:]port>', 'HTTP proxy address (127.0.0.1 unless a host is given)')
    .option('--via <peer>', 'the peer connections exit from (required for --http)')
    .option('--name <name>', 'a name for the proxy (default socks-PORT / http-PORT)')
    .option('--allow-remote-bind', 'allow an address other machines can reach')
    .option(
      '--no-auth',
      'no password: any program on this machine (other users too) may use it; for browsers, which cannot send a SOCKS password',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText('after', PROXY_AUTH_NOTE)
    .action(
      async (
        opts: AddOpts & { socks?: string; http?: string; via?: string; auth: boolean },
        cmd: Command,
      ) => {
        const all = withGroupOpts(opts, cmd);
        if ((opts.socks === undefined) === (opts.http === undefined)) {
          throw new ClawError(
            'BAD_ARGUMENT',
            'give exactly one of --socks [HOST:]PORT or --http [HOST:]PORT',
          );
        }
        if (opts.http !== undefined && opts.via === undefined) {
          throw new ClawError('BAD_ARGUMENT', '--http needs --via PEER: the peer where its connections exit');
        }
        const p = await call(all, 'proxy.add', {
          kind: opts.socks !== undefined ? 'socks' : 'http',
          local: (opts.socks ?? opts.http)!,
          ...(opts.via !== undefined ? { via: opts.via } : {}),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.allowRemoteBind ? { allowRemoteBind: true } : {}),
          ...(opts.auth ? {} : { auth: false }),
        });
        warnIfRemote(p.local, p.via);
        if (p.secret === null) {
          printNote(
            `note: proxy ${p.name} has no password: any program on this machine, other users' included, can use it`,
          );
        }
        if (all.json) printJson(p);
        else printLine(addedProxyLine(p));
      },
    );

  proxy
    .command('secret <name>')
    .description("print a proxy's password (its secret), or with --url the URL to give a client")
    .option('--url', 'print the whole proxy URL (socks5h://PEER:SECRET@HOST:PORT or http://...)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: HomeOpts & { url?: boolean }, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const found = (await call(all, 'proxy.list', {})).find((p) => p.name === name);
      if (!found) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `no proxy named '${name}'; \`${hintCommand('proxy list', all.home)}\` shows them`,
        );
      }
      if (all.json) return printJson({ name: found.name, secret: found.secret, url: found.url });
      if (found.secret === null) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `proxy ${name} has no password (added with --no-auth, or by an older release): any program on this machine may use it; remove it and add it again without --no-auth to give it one`,
        );
      }
      printLine(opts.url ? found.url : found.secret);
    });

  proxy
    .command('list')
    .description('list proxies with their connection and byte counts')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (all.json) return printJson(await call(all, 'proxy.list', {}));
      const [list, peers] = await withPeers(all, 'proxy.list');
      printBlock(proxyTable(list, all.home, peers));
    });

  proxy
    .command('rm <name>')
    .alias('remove')
    .description('stop a proxy and free its port')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await call(all, 'proxy.remove', { name });
      if (all.json) printJson(r);
      else printLine(`removed proxy ${r.name}`);
    });

  registerToggles(proxy, 'proxy');
  allowStrayWords(forward);
  allowStrayWords(proxy);
}
