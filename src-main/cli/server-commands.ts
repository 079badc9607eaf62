/**
 * Commands that run in this process rather than asking an agent: `id`, `agent` and `relay`.
 */
import { DEFAULT_RELAY_LISTEN } from '../core/relay-url.js';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from './commander.js';
import { resolveHome } from '../home/home-dir.js';
import { startupEndsWhenServing, startupOver, SUSTAINED_BUSY_CPU_MS } from '../runtime/compiler-tiers.js';
// Types only: agent-flags.ts loads the settings schema (zod), which `relay` must not keep (ADR 0053).
import type { AgentCliOptions } from './agent-flags.js';
import type { AgentFlag } from './domain-cli.js';
import type { RelayCliOptions } from './relay-command.js';
import { hintCommand, printLine, printNote } from './output.js';
import { lineWithHint } from '../core/hint.js';
import type { NoticeEvent } from '../api/contract.js';
import { exitAfterStop, stopOnSignals } from './stop-signals.js';
import { errorMessage } from '../core/errors.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Registers `agent` and `relay`. `agentFlags`: the flags the domains add to `agent` (their `cli/`
 * parts, domain-commands.ts domainAgentFlags), each setting its domain's settings.
 */
export function registerServerCommands(program: Command, agentFlags: readonly AgentFlag[] = []): void {
  // Each domain flag with where commander puts its value.
  const domainOptions = agentFlags.map((flag) => ({
    flag,
    option: new Option(flag.flags, flag.description),
  }));
  const agent = program
    .command('agent')
    .description('run the connector agent in the foreground (settings given once are saved)')
    .option('--home <dir>', 'node home directory')
    .option('--name <name>', 'name shown to peers')
    .option('--relay <url>', 'relay to use (repeatable; replaces the saved list)', collect)
    .option(
      '--relay-fingerprint <[url=]hex>',
      "pin a relay's self-signed TLS certificate: URL=HEX, or HEX with one relay; none drops a pin (repeatable)",
      collect,
    )
    .option(
      '--relay-token <[url=]token>',
      "access token for a relay: URL=TOKEN, or TOKEN with one relay; URL= or '' removes it (repeatable; other users see it in ps: prefer --relay-token-file)",
      collect,
    )
    .option(
      '--relay-token-file <[url=]file>',
      "read a relay's access token from a file (URL=FILE, or FILE with one relay); saved, so given once (repeatable)",
      collect,
    )
    .option('--listen <host:port>', 'direct listener address (port 0 = any free port)')
    .addOption(new Option('--no-direct', 'neither listen for nor dial direct links'))
    .option('--act-as-relay', "also serve the relay for peers allowed `relay` (uses this node's certificate)")
    .option('--no-act-as-relay', 'stop serving the relay')
    .option(
      '--relay-listen <host:port>',
      `address of the relay this node serves (default ${DEFAULT_RELAY_LISTEN})`,
    )
    .option(
      '--relay-page',
      'the relay this node serves also serves the browser page at / (the default; saved)',
    )
    .option('--no-relay-page', 'the relay this node serves serves no browser page (saved)');
  for (const { option } of domainOptions) agent.addOption(option);
  agent
    .option('--ui-listen <host:port>', 'web UI address (default 127.0.0.1:7476; a free port when taken)')
    .addOption(new Option('--no-ui', 'do not serve the web UI'))
    .option('--allow-remote-ui', 'let --ui-listen be an address other machines can reach')
    .option(
      '--allow-remote-reverse-listen',
      "let peers allowed 'listen' have this node listen on addresses other machines can reach (saved)",
    )
    .option(
      '--no-allow-remote-reverse-listen',
      "peers' reverse forwards listen on loopback only (the default)",
    )
    .option(
      '--port-mapping',
      "ask the router (UPnP, NAT-PMP) to map the direct listener's port (the default; saved)",
    )
    .option('--no-port-mapping', 'never ask the router for a port mapping (saved)')
    .action(async (opts: AgentCliOptions) => {
      // It says itself when its start is over (startupOver below), however long that takes here.
      startupEndsWhenServing();
      const { agentOverrides, checkUiFlags } = await import('./agent-flags.js');
      // Every flag is checked before the home is created: a refused flag leaves nothing on disk.
      checkUiFlags(opts);
      const home = resolveHome(opts.home);
      // The agent's modules load when it runs, not when the command is registered: `clawbridge --help`
      // registers every command, and parsing the whole agent made it slow (docs/design/loading-on-demand.md).
      const [{ runAgent }, { NodeState }, { settingsSchemas }, { NODE_VOCABULARY }] = await Promise.all([
        import('../app/run-agent.js'),
        import('../state/node-state.js'),
        import('../state/settings.js'),
        import('../api/vocabulary.js'),
      ]);
      // The node's own fields are what the flags read (a domain's flag sets its setting whole).
      const saved = existsSync(home)
        ? NodeState.open(home).get()
        : settingsSchemas(NODE_VOCABULARY).settingsSchema.parse({});
      const given = domainOptions.map(({ flag, option }) => ({
        flag,
        value: (opts as Readonly<Record<string, unknown>>)[option.attributeName()] as string | undefined,
      }));
      const overrides = agentOverrides(opts, saved, undefined, given);
      // Armed before the start: a Ctrl-C or kill that comes while the agent starts stops it once it
      // runs. SIGHUP too: closing the terminal window the agent runs in sends it, and that is a stop as
      // well (the peers' sessions are told it stops instead of waiting out their resume window).
      const signals = stopOnSignals();
      let stopping = false;
      // Set once the agent runs: what a stop asks it before it stops.
      let handOver = (): Promise<void> => Promise.resolve();
      const stop = (stopAgent: () => Promise<void>, signal?: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        handOver()
          .then(stopAgent)
          .then(
            () => exitAfterStop(signal, 0),
            (err: unknown) => {
              printNote(`the agent did not stop cleanly: ${errorMessage(err)}`);
              exitAfterStop(signal, 1);
            },
          );
      };
      // Problems the user must act on are plain lines, their commands with this --home so they can be
      // pasted; repeats of the same line (retries) are not reprinted.
      let lastNotice = '';
      const notice = (n: NoticeEvent) => {
        const line = lineWithHint(n.message, n.hint, opts.home);
        if (line !== lastNotice) printNote(line);
        lastNotice = line;
      };
      // `clawbridge stop` (agent.stop): the same clean shutdown as Ctrl-C, then this process ends.
      const running = await runAgent({ home, overrides, onStopRequested: stop, notice }).catch(
        (err: unknown) => {
          signals.cancel();
          throw err;
        },
      );
      // Every stop is maybe a restart (an upgrade of the package, a service restarted): the terminals
      // this node has open on peers are handed over (docs/adr/0082-terminals-across-an-update.md), not
      // hung up. The peers keep them for their resume window; the next start takes the window's up, and
      // `term` takes its own up by the peer's ID.
      handOver = async () => {
        try {
          await running.api.call('terminal.handOver', {});
        } catch (err) {
          printNote(`the terminals could not be handed over (${errorMessage(err)}); they are hung up`);
        }
      };
      signals.started((signal) => stop(() => running.stop(), signal));
      if (stopping) return;
      const s = await running.api.call('status', {});
      printLine(`agent ${s.name} running, fingerprint ${s.fingerprint}, direct ${s.listen ?? 'off'}`);
      if (running.webUi)
        printLine(`web UI on ${running.webUi.address} (open it with \`${hintCommand('ui', opts.home)}\`)`);
      const own = running.agent.ownRelay;
      if (own) {
        printLine(`relay listening on ${own.url} fingerprint ${s.fingerprint} (for peers allowed \`relay\`)`);
        // As `clawbridge relay` prints it: compare the hash with the release's.
        if (own.pageHash)
          printLine(`relay page at ${own.url.replace(/^wss:/, 'https:')}/ sha256 ${own.pageHash}`);
      }
      running.agent.notices.events.on('notice', notice);
      // Started: Sparkplug and TurboFan come on once the agent has been busy for a while (ADR 0076):
      // an idle agent's trickle of heartbeats and link set-ups would make some function hot in the end,
      // and what TurboFan's first compile and Sparkplug's code make is kept for good
      // (docs/design/loading-on-demand.md).
      startupOver({ optimizeWhenBusy: true, busyForCpuMs: SUSTAINED_BUSY_CPU_MS, sparkplugWhenBusy: true });
    });

  program
    .command('relay')
    .description('run a relay server for nodes that cannot reach each other directly')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_RELAY_LISTEN)
    .option('--home <dir>', 'home directory for the relay certificate')
    .option(
      '--token-file <file>',
      'require the access token in this file from nodes (or set CLAWBRIDGE_RELAY_TOKEN)',
    )
    .option('--token <token>', 'the same, on the command line, where other users see it (ps)')
    .option(
      '--metrics-token-required',
      'GET /metrics requires Authorization: Bearer <token> (the relay token); default: open, totals only',
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM) instead of the self-signed one')
    .option('--tls-key <file>', 'TLS private key (PEM) for --tls-cert')
    .addOption(new Option('--no-tls', 'plain ws:// (behind a TLS-terminating proxy)'))
    .option(
      '--tagged-listen-only',
      'take pairing rendezvous only by tag (nodes of this release and later): nobody can listen on a node ID',
    )
    .option(
      '--max-nodes <n>',
      'nodes served at once; the next is refused with close 4024 (open files and memory refuse it first when they run out)',
    )
    .option('--max-memory <MiB>', 'refuse new nodes while the RSS is above this (default 90 % of memory)')
    .option(
      '--connections-per-ip <n>',
      'connections from one IP address at once (default 32); more are closed with 4020 (many nodes behind one NAT need more)',
    )
    .addOption(
      new Option('--no-page', 'serve no browser page at / (browsers can still not pair without one)'),
    )
    .option(
      '--allow-origin <origin...>',
      'other origins whose browser pages may use its socket, e.g. https://relay.example (behind a proxy that rewrites Host)',
    )
    .option(
      '--public-name <name...>',
      "names its page is served at besides loopback, its addresses and its certificate's names, e.g. relay.example (behind a TLS proxy); a browser at any other name is refused (421)",
    )
    // Loaded by `relay` alone: parsing the relay server and its metrics (prom-client) slowed `agent`'s start.
    .action(async (opts: RelayCliOptions) => {
      startupEndsWhenServing(); // startRelayFromCli says when its start is over
      return (await import('./relay-command.js')).startRelayFromCli(opts);
    });
}
