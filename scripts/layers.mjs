// The layers of src-main/, lowest first (docs/architecture.md §Layers, DESIGN §11). A file's layer is its
// top-level folder: the folders are the layers. A module may import (by value or by type) only from its
// own layer or a lower one; eslint.config.js builds its `import-x/no-restricted-paths` zones from this
// list, test/unit/architecture/layers.test.ts checks that docs/architecture.md says the same and that no
// top-level folders import each other, and scripts/import-graph.mjs --check lists what points up.
//
// The domains' layers are not written here: they are app/domains.ts's list (domain-folders.mjs), each
// domain a layer of its own above the ones it builds on, so a new domain adds no line here
// (docs/adr/0087-domain-layers-and-clis-from-the-list.md).
//
// The order is written from what each layer may know, lowest first: what is true everywhere (core), what
// crosses the wire and who is who (protocol, crypto), the machine (home), moving bytes (transport, mux,
// the relay server), the sinks and the vocabulary every part above speaks (audit, the API contract,
// connections), the node itself (state, services, relay clients, links, pairing), the domains built on a
// node (from their list), the composition root (app), how a process is tuned (runtime, which only entry
// points import), and the entry points (cli, electron).

import { listedDomains } from './domain-folders.mjs';

/**
 * @typedef {import('./domain-folders.mjs').ListedDomain} ListedDomain
 * @typedef {object} Layer
 * @property {string} name
 * @property {string[]} folders paths under src-main/
 * @property {string} why what it holds and why it sits where it does
 * @property {Record<string, string>} [subfolders] folders inside it that belong to the same layer,
 *   each with what it holds (docs/architecture.md §Where things live lists every folder)
 * @property {true} [domain] a domain's layer, made from app/domains.ts's list
 * @property {string[]} [builtOn] a domain's: the domains' folders it builds on, which sit below it
 */

/**
 * The layers below the domains, lowest first.
 * @type {readonly Layer[]}
 */
const BELOW_DOMAINS = [
  {
    name: 'core',
    folders: ['core'],
    why: 'what is true everywhere: fingerprints, errors and refusal codes, node names and their schema, permissions, host:port, hints, emitters, the idle hooks libraries report through, limits shared by the settings schema and the contract, route rules, the version; pure, no I/O, no Electron',
  },
  {
    name: 'protocol',
    folders: ['protocol'],
    why: 'what crosses the wire: the formats both ends share (relay, mux, terminal, UDP, SOCKS, HTTP CONNECT, pairing first frames, hops, messages, files, members, groups), encode/decode with size limits, nothing else',
  },
  {
    name: 'crypto',
    folders: ['crypto'],
    why: 'who is who: identity, the E2E handshake and records, CPace, pairing messages, the signatures of membership and group records; pure, on core and protocol',
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
    why: 'who may open what here: the registry every stream a peer opens for a service passes, its opening-side counterpart, admission, and the engine the per-peer exchanges of signed records run on (introductions, groups); they read the state at the moment they decide and need no link, so links hand them their streams',
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
];

/**
 * The layers above the domains, lowest first.
 * @type {readonly Layer[]}
 */
const ABOVE_DOMAINS = [
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
 * The domains' layers, lowest first: each domain in the list's order, but above every domain it builds
 * on. Refuses a domain built on one the list does not hold, or domains built on each other.
 * @param {readonly ListedDomain[]} listed the domains, as app/domains.ts lists them
 * @returns {Layer[]}
 */
export function domainLayers(listed) {
  const folders = listed.map((d) => d.folder);
  for (const d of listed)
    for (const on of d.builtOn)
      if (!folders.includes(on))
        throw new Error(`the ${d.folder} domain builds on ${on}/, which app/domains.ts does not list`);
  /** @type {Layer[]} */
  const out = [];
  const placed = new Set();
  while (out.length < listed.length) {
    const next = listed.find((d) => !placed.has(d.folder) && d.builtOn.every((on) => placed.has(on)));
    if (!next) {
      const left = listed.filter((d) => !placed.has(d.folder)).map((d) => d.folder);
      throw new Error(`domains built on each other (builtOn): ${left.join(', ')}`);
    }
    placed.add(next.folder);
    out.push({
      name: next.folder,
      folders: [next.folder],
      why: `the ${next.folder} domain (its ${next.file}.ts)${next.builtOn.length ? `, on ${next.builtOn.join(', ')}` : ''}`,
      domain: true,
      builtOn: next.builtOn,
    });
  }
  return out;
}

/**
 * Every layer, lowest first, with these domains' layers between the node's and the composition root.
 * @param {readonly ListedDomain[]} listed
 * @returns {readonly Layer[]}
 */
export function layersWith(listed) {
  return [...BELOW_DOMAINS, ...domainLayers(listed), ...ABOVE_DOMAINS];
}

/** The layers of src-main/, lowest first, the domains' as app/domains.ts lists them. */
export const layers = layersWith(listedDomains());

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

/**
 * The one line docs/architecture.md §Layers gives the domains' layers together: they come from the
 * list, so the doc names none of them (`node scripts/layers.mjs` prints them).
 */
export const DOMAINS_LINE =
  "the domains (a folder each, `<domain>/`, as `src-main/app/domains.ts` lists them; `node scripts/layers.mjs` prints them in their order): what a node does for its owner, each bringing from its own folder everything it adds (§Adding a domain); each is a layer of its own, above the domains it builds on (its description's `builtOn`, the only domains it may name) and otherwise in the list's order";

/**
 * Markdown for docs/architecture.md §Layers: one numbered line per layer, the domains' run of layers
 * one line (DOMAINS_LINE).
 * @param {readonly Layer[]} [of]
 */
export function layerListMarkdown(of = layers) {
  /** @type {string[]} */
  const lines = [];
  for (const [i, l] of of.entries()) {
    if (l.domain && of[i - 1]?.domain) continue;
    const what = l.domain
      ? DOMAINS_LINE
      : `\`${l.name}\` (${l.folders.map((f) => `\`${f}/\``).join(', ')}): ${l.why}`;
    lines.push(`${lines.length + 1}. ${what}.`);
  }
  return lines.join('\n');
}

/** The domains' layers, lowest first, one line each: what `node scripts/layers.mjs` adds to the list. */
export function domainLayersMarkdown(of = layers) {
  return of
    .filter((l) => l.domain)
    .map((l) => `- \`${l.name}\` (\`${l.folders[0]}/\`): ${l.why}`)
    .join('\n');
}

if (import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1] ?? '').href) {
  console.log(layerListMarkdown());
  console.log(`\nThe domains' layers, lowest first (app/domains.ts):\n${domainLayersMarkdown()}`);
}
