// The layers of src-main/, lowest first (docs/architecture.md §Layers, DESIGN §11). A file's layer is its
// top-level folder: the folders are the layers. A module may import (by value or by type) only from its
// own layer or a lower one; eslint.config.js builds its `import-x/no-restricted-paths` zones from this
// list, test/unit/architecture/layers.test.ts checks that docs/architecture.md says the same and that no
// top-level folders import each other, and scripts/import-graph.mjs --check lists what points up.
//
// The order is written from what each layer may know, lowest first: what is true everywhere (core), what
// crosses the wire and who is who (protocol, crypto), the machine (home), moving bytes (transport, mux,
// the relay server), the sinks and the vocabulary every part above speaks (audit, the API contract,
// connections), the node itself (state, services, relay clients, links, pairing), the domains built on a
// node, the composition root (app), how a process is tuned (runtime, which only entry points import),
// and the entry points (cli, electron).

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
    why: 'what is true everywhere: fingerprints, errors and refusal codes, node names and their schema, permissions, host:port, hints, emitters, the idle hooks libraries report through, limits shared by the settings schema and the contract, route rules, the version; pure, no I/O, no Electron',
  },
  {
    name: 'protocol',
    folders: ['protocol'],
    why: 'what crosses the wire: the formats both ends share (relay, mux, terminal, UDP, SOCKS, HTTP CONNECT, pairing first frames, hops, messages, files, members), encode/decode with size limits, nothing else',
  },
  {
    name: 'crypto',
    folders: ['crypto'],
    why: 'who is who: identity, the E2E handshake and records, CPace, pairing messages; pure, on core and protocol',
  },
  {
    name: 'home',
    folders: ['home'],
    why: "the machine: the node's home on disk (paths, identity files, durable small-file writes, the pipe key and its proof); knows no network",
  },
  {
    name: 'transport',
    folders: ['transport'],
    subfolders: {
      'transport/nat':
        "across NATs: the port mapping on the LAN's router (UPnP IGD, NAT-PMP; renewed, removed at stop), what NAT a node is behind, the synchronised simultaneous open",
    },
    why: 'moving bytes to one peer: direct TLS, relay client and circuits, the E2E link, splices, NAT traversal; each yields the same Link and knows nothing of streams',
  },
  {
    name: 'mux',
    folders: ['mux'],
    why: 'streams over a Link: credit flow control, priorities, resumable streams; knows nothing of what a stream carries',
  },
  {
    name: 'relay',
    folders: ['relay'],
    why: 'the relay server: routes circuits between node IDs and never decrypts; needs nothing above transport/, so a relay runs without a node',
  },
  {
    name: 'audit',
    folders: ['audit'],
    why: "what happened, for the owner: the audit log's event schema, queued writer with rotation, refusal limits and reader; a sink every part of the node writes to",
  },
  {
    name: 'api',
    folders: ['api'],
    why: 'the vocabulary every part of the node speaks: the API contract (schemas, types, the viewer channel) and its transports (control socket, web UI), which only move {method, params} to a handler they are given',
    subfolders: {
      'api/web-ui': 'the web UI: the built renderer and a WebSocket transport on loopback, behind a token',
    },
  },
  {
    name: 'connections',
    folders: ['connections'],
    why: 'what this node carries now: the live connection table and the own relay circuits listed in it; owners register their connections here',
  },
  {
    name: 'reachability',
    folders: ['reachability'],
    why: "why a peer cannot be reached: each path's observation and the pure rules that word it",
  },
  {
    name: 'trust',
    folders: ['trust'],
    why: 'what each peer allows the other: the grants message on the control stream',
  },
  {
    name: 'state',
    folders: ['state'],
    why: 'what the node keeps and saw: the settings schema, NodeState (the one writer of config.json), the settings file, typed changes, pending requests, peer names, the address book, observations, membership, and the notices every part reports to; knows no link',
  },
  {
    name: 'services',
    folders: ['services'],
    why: 'who may open what here: the registry every stream a peer opens for a service passes, its opening-side counterpart, and admission; they read the state at the moment they decide and need no link, so links hand them their streams',
  },
  {
    name: 'relay-clients',
    folders: ['relay-clients'],
    why: 'the relays this node uses: the relay clients it keeps (saved and on demand) and its own relay server when it acts as one; links dial through them',
  },
  {
    name: 'links',
    folders: ['links'],
    why: 'one link per peer: the peer link set and its entries, connectors, path dialers (direct, relay, route), addresses, quiet lanes, the direct listener, the local network and LAN discovery, pending links, relay splices, the control service (hello), peer state and views, the ports domains use to reach a peer, and the contract a domain describes itself by (domain.ts)',
  },
  {
    name: 'pairing',
    folders: ['pairing'],
    why: "becoming peers: codes issued and joined, their progress, approvals, and the introductions among the owner's devices; built on links (a joiner arrives as a link or circuit)",
  },
  {
    name: 'terminal',
    folders: ['terminal'],
    why: 'the terminal domain: the served side (PTY and pipe sessions; the detached session host that keeps them across agent restarts) and the requesting side (viewer sessions, direct tty and pipes)',
    subfolders: {
      'terminal/sessions':
        'PTY and pipe sessions, their registry, replay buffer and flow constants; used in the agent and in the session host alike',
      'terminal/session-host':
        "the detached process that keeps served sessions across agent restarts, and the agent's client of it",
    },
  },
  {
    name: 'forwards',
    folders: ['forwards'],
    why: 'the forwards domain: local listeners (TCP forward, SOCKS5, HTTP CONNECT, UDP), reverse forwards, and the tcp/udp exit services',
  },
  {
    name: 'routes',
    folders: ['routes'],
    why: "the routes domain: the hop service a node serves as a hop of another's route; pipes with forwards' splice",
  },
  {
    name: 'files',
    folders: ['files'],
    why: 'the files domain: name checks, the staging area and file inbox in the home, the receiving and sending sides of the `files` service',
  },
  {
    name: 'messages',
    folders: ['messages'],
    why: 'the messages domain: the outbox, the inbox, the record log and its files, the `message` service',
    subfolders: {
      'messages/client':
        "the messages domain's client side, over the control socket: send and wait for a receipt, ask, the listener, the serve loop; the package's client library (`clawbridge/client`) and `clawbridge msg` share it",
    },
  },
  {
    name: 'share',
    folders: ['share'],
    why: "the share domain: the read-only HTTP file server that answers a share's reverse forward, its path and range checks; on forwards' reverse forwards",
  },
  {
    name: 'app',
    folders: ['app'],
    why: 'the composition root: builds the node from its parts and the list of domains, one lifecycle list, the API handler, peer methods, audit hooks; the only place that knows every part',
    subfolders: {
      'app/api': "the API's node-wide parts: events, settings, relay probe, the audit log's list",
    },
  },
  {
    name: 'runtime',
    folders: ['runtime'],
    why: 'how a process is tuned: V8 flags, compiler tiers, GC tuning, idle trims; imported only by entry points (lint refuses it elsewhere), which install the hooks libraries report busy and idle through',
  },
  {
    name: 'cli',
    folders: ['cli'],
    why: "the clawbridge command: an API client, and the entry points that start an agent or a relay; each domain's own commands and status lines sit in its folder's `cli/` (messages/cli/, …), which belongs here",
  },
  {
    name: 'electron',
    folders: ['electron'],
    why: "the desktop app's main process, tray, window and preload: the only folder that imports 'electron'",
  },
];

/**
 * A domain's own part of a layer above it, kept in the domain's folder (docs/adr/0086): `<domain>/cli/`
 * holds the domain's commands and status lines and belongs to the `cli` layer, not to its domain's. By
 * the name of the subfolder, the layer it belongs to.
 */
export const DOMAIN_PARTS = /** @type {const} */ ({ cli: 'cli' });

/**
 * The layer folder a source folder (relative to src-main/) counts in: a domain's part counts in its
 * layer (`messages/cli` and `messages/cli/x` → `cli`); any other folder is its own top-level folder
 * (`terminal/sessions` → `terminal`).
 * @param {string} folder
 */
export function layerFolderOf(folder) {
  const [top = '', sub] = folder.split('/');
  if (sub !== undefined && top !== sub && Object.hasOwn(DOMAIN_PARTS, sub))
    return DOMAIN_PARTS[/** @type {keyof typeof DOMAIN_PARTS} */ (sub)];
  return top;
}

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
