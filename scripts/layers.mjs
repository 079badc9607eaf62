// The layers of src-main/, lowest first (docs/architecture.md §Layers, DESIGN §11). A module may import
// (by value or by type) only from its own layer or a lower one; eslint.config.js builds its
// `import-x/no-restricted-paths` zones from this list, test/unit/architecture/layers.test.ts checks that
// docs/architecture.md says the same, and scripts/import-graph.mjs --check lists what points up.
//
// A file belongs to the layer whose folder is the longest prefix of its own folder, so a folder may
// hold a lower layer nested inside it (terminal/sessions/ under terminal/), never a higher one.
// The order was chosen from the import graph (node scripts/import-graph.mjs) so that the fewest files
// change: where two folders imported each other, the shared piece moved down (scripts/layer-moves.json).

/**
 * @typedef {object} Layer
 * @property {string} name
 * @property {string[]} folders paths under src-main/
 * @property {string} why what it holds and why it sits where it does
 * @property {Record<string, string>} [subfolders] folders inside it that belong to the same layer,
 *   each with what it holds (docs/architecture.md §Where things live lists every folder)
 */

/** @type {readonly Layer[]} */
export const layers = [
  {
    name: 'core',
    folders: ['core'],
    why: 'pure TypeScript every layer uses: fingerprints, errors and refusal codes, names, host:port, hints, emitters, limits shared by the settings schema and the contract, route rules, the version; no I/O, no Electron',
  },
  {
    name: 'protocol',
    folders: ['protocol'],
    why: 'wire formats both ends share (relay, mux, terminal, UDP, SOCKS, HTTP CONNECT, pairing first frames, hops): encode/decode with size limits, nothing else',
  },
  {
    name: 'crypto',
    folders: ['crypto'],
    why: 'identity, the E2E handshake and records, CPace, pairing messages: pure, on core and protocol',
  },
  {
    name: 'home',
    folders: ['home'],
    why: "the node's home on disk: paths, identity files, durable small-file writes, the pipe key and its proof; used by every process, imports none of them",
  },
  {
    name: 'transport',
    folders: ['transport'],
    why: 'direct TLS, relay client and circuits, the E2E link, splices: each yields the same Link',
  },
  {
    name: 'mux',
    folders: ['mux'],
    why: 'streams over a Link, credit flow control, resumable streams; knows nothing of what a stream carries',
  },
  {
    name: 'relay',
    folders: ['relay'],
    why: 'the relay server: routes circuits between node IDs, never decrypts; nothing above transport/ is needed to run one',
  },
  {
    name: 'audit',
    folders: ['audit'],
    why: "the audit log's event schema, queued writer with rotation, refusal limits and reader: a sink every part above may write to, so it sits below them all",
  },
  {
    name: 'api',
    folders: ['api'],
    why: 'the API contract (schemas, types, the viewer channel) and its transports (control socket, web UI): every part above speaks the contract, and a transport only moves {method, params} to a handler it is given',
    subfolders: {
      'api/web-ui': 'the web UI: the built renderer and a WebSocket transport on loopback, behind a token',
    },
  },
  {
    name: 'connections',
    folders: ['connections'],
    why: 'the live connection table (what this node carries now) and the own relay circuits listed in it; owners register their connections here',
  },
  {
    name: 'reachability',
    folders: ['reachability'],
    why: "why a peer cannot be reached: each path's observation and the pure rules that word it, read by agent/links",
  },
  {
    name: 'trust',
    folders: ['trust'],
    why: 'the grants message peers send each other on the control stream (what each allows the other), read by agent/links',
  },
  {
    name: 'agent/state',
    folders: ['agent/state'],
    why: 'what the node keeps and saw: the settings schema, NodeState (the one writer of config.json), the settings file, typed changes, pending requests, peer names, the address book, observations, and the notices every part reports to',
  },
  {
    name: 'agent/services',
    folders: ['agent/services'],
    why: 'the registry of services a peer may open on this node, its opening-side counterpart (what this node opens on its peers), and admission (who may link): they read the state at the moment they decide and need no link, so links hand them their streams',
  },
  {
    name: 'agent/relays',
    folders: ['agent/relays'],
    why: 'the relay clients this node keeps (saved and on demand) and its own relay server; links dial through them',
  },
  {
    name: 'agent/links',
    folders: ['agent/links'],
    why: 'the peer link set and its entries: connectors, path dialers (direct, relay, route), addresses, quiet lanes, the direct listener, the local network and LAN discovery, pending links, relay splices, the control service (hello), peer state and views, and the ports services use to reach a peer',
  },
  {
    name: 'agent/pairing',
    folders: ['agent/pairing'],
    why: 'codes issued and joined, their progress, and the owner’s approvals; built on links (a joiner arrives as a link or circuit)',
  },
  {
    name: 'terminal/sessions',
    folders: ['terminal/sessions'],
    why: 'the served side of a terminal: PTY and pipe sessions, their registry, replay buffer and flow constants; used in the agent and in the detached session host alike',
  },
  {
    name: 'terminal/session-host',
    folders: ['terminal/session-host'],
    why: 'the detached process that keeps served sessions across agent restarts (host-main, host-server) and the agent’s client of it (host-client, hosted sessions)',
  },
  {
    name: 'terminal',
    folders: ['terminal'],
    why: 'the terminal service on the registry and its clients on the requesting side (viewer sessions, direct tty and pipes)',
  },
  {
    name: 'forwards',
    folders: ['forwards'],
    why: 'local listeners (TCP forward, SOCKS5, HTTP CONNECT, UDP), reverse forwards, and the tcp/udp exit services on the registry',
  },
  {
    name: 'routes',
    folders: ['routes'],
    why: 'the hop service a node serves as a hop of another’s route; pipes with forwards’ splice',
  },
  {
    name: 'files',
    folders: ['files'],
    why: 'files sent between nodes (ADR 0051): the name checks, the staging area and file inbox in the home, the receiving and sending sides of the `files` service on the registry',
  },
  {
    name: 'messages',
    folders: ['messages'],
    why: 'messages between nodes: the outbox, the record log and its files, served on the registry like every other service',
  },
  {
    name: 'share',
    folders: ['share'],
    why: 'shared folders (ADR 0052): the read-only HTTP file server that answers a share’s reverse forward, its path and range checks, and the share API; on forwards’ reverse forwards',
  },
  {
    name: 'agent/app',
    folders: ['agent/app'],
    why: 'the composition root and lifecycle (compose-agent, run-agent), the API handler and its domains (agent/app/api/), peer methods, audit hooks: the only place that knows every part',
    subfolders: {
      'agent/app/api': "the API's domains: events, settings, relay probe, the audit log's list",
    },
  },
  {
    name: 'cli',
    folders: ['cli'],
    why: 'the clawbridge command: an API client, and the entry point that starts the agent',
  },
  {
    name: 'electron',
    folders: ['electron'],
    why: "the desktop app's main process, tray, window and preload: the only folder that imports 'electron'",
  },
];

/** The markers around the layer list in docs/architecture.md §Layers (written by scripts/move-modules.mjs). */
export const LIST_BEGIN =
  '<!-- layer list: written by scripts/move-modules.mjs from scripts/layers.mjs; test/unit/architecture/layers.test.ts compares them -->';
export const LIST_END = '<!-- end of layer list -->';

/** The folders of every layer, as paths under src-main/. */
export const layerFolders = () => layers.flatMap((l) => l.folders);

/** Markdown for docs/architecture.md §Layers: one numbered line per layer. */
export function layerListMarkdown() {
  return layers
    .map((l, i) => `${i + 1}. \`${l.name}\` (${l.folders.map((f) => `\`${f}/\``).join(', ')}): ${l.why}.`)
    .join('\n');
}

if (import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1] ?? '').href) {
  console.log(layerListMarkdown());
}
