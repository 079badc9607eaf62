/**
 * API methods about peers: list, add, remove, rename, permissions, forward limits, ping. Each takes only
 * the part of the agent it uses (PeersDeps, architecture.md §Rules the code keeps).
 */
import { ClawError, isClawError } from '../core/errors.js';
import { commandArgs } from '../core/hint.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { sameRelayUrl } from '../core/relay-url.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import type { MethodParams, PeerInfo, PingResult } from '../api/contract.js';
import type { Notifier, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from '../links/ports.js';
import type { NodeState } from '../state/node-state.js';
import { peerNameClash } from '../state/peer-names.js';
import { dialOrder, learnAddresses, type KnownAddress } from '../state/address-book.js';
import { addressWhere } from '../core/address-where.js';
import { isPunchedLink } from '../transport/nat/punched-link.js';
import type { PeerAddressView } from '../links/peer-state.js';
import { routeText } from '../core/routes.js';
import { UpgradableLink } from '../transport/upgradable-link.js';
import { malformedPatterns } from '../core/forward-limits.js';
import type { PeerRecord, Permission, RelaySetting } from '../state/settings.js';
import { nodeKindOfCert } from '../crypto/node-kind.js';
import { resolvePeer } from '../links/resolve-peer.js';
import { peerStateView, addressOf, homeRelayOf } from '../links/peer-view.js';
import type { PeerStateSource } from '../links/peer-view.js';
import { isoTime } from '../core/iso-time.js';
import { guestGroups, type Guest } from '../services/admission.js';
import type { AskedWords, GuestChange, GuestDecision } from '../services/guest-changes.js';

/**
 * What the peer methods use (architecture.md §Rules the code keeps): the node state they write, the
 * links that follow it (a peer saved here is dialed, a removed one hung up on, by the links
 * themselves), and the change signal.
 */
export interface PeersDeps {
  readonly identity: { readonly fingerprint: string };
  readonly state: Pick<
    NodeState,
    | 'get'
    | 'peers'
    | 'peer'
    | 'pending'
    | 'addPeer'
    | 'removePeer'
    | 'setPermissions'
    | 'setForwardTo'
    | 'setListenOn'
    | 'rename'
    | 'setRoute'
    | 'vocabulary'
  >;
  readonly links: PeerDirectory &
    Pick<PeerStreams, 'activePath'> & {
      stateSource(): PeerStateSource;
      peerEntry(fp: string): ReadonlyPeerEntry | undefined;
      noteRtt(fingerprint: string, rttMs: number): void;
      noteUse(fingerprint: string): void;
      retryDirect(fingerprint: string): boolean;
    };
  readonly notices: Pick<Notifier, 'changed'>;
  /** The nodes let in without a pairing (the registry's guests); absent in agents built without them. */
  readonly guests?: GuestLookup;
}

/** Where a guest's reasons are read (services/admission.ts GuestList). */
export interface GuestLookup {
  get(fingerprint: string): Pick<Guest, 'because' | 'allow' | 'dial'> | undefined;
  list(): readonly Pick<Guest, 'fingerprint' | 'because' | 'allow' | 'dial'>[];
  /** Where a change of the guest is decided instead (GuestSource.decidedWhere). */
  decidedWhere(
    fingerprint: string,
    change: GuestChange,
    asked: AskedWords | undefined,
  ): GuestDecision | undefined;
}

/** `guests`: where a node let in without a pairing finds why (PeerInfo.groups). */
export function peerInfo(
  agent: PeerStateSource,
  entry: ReadonlyPeerEntry,
  guests?: Pick<GuestLookup, 'get'>,
): PeerInfo {
  const { record, links } = entry;
  const guest = guests?.get(entry.fingerprint);
  const active = links.active;
  const book = agent.addressBook?.(record.fingerprint) ?? record.addresses;
  return {
    name: record.name,
    fingerprint: record.fingerprint,
    kind: record.cert !== undefined ? nodeKindOfCert(record.cert) : 'node',
    online: links.online,
    ...peerStateView(agent, entry),
    path: active?.path ?? null,
    ...addressesWhere(entry, book, addressOf(entry)),
    relay: active?.path === 'relay' ? active.link.remote : null,
    ...homeRelayOf(agent, entry),
    relaySpliced:
      active?.path === 'relay' ? active.link instanceof UpgradableLink && active.link.upgraded : null,
    links: (['direct', 'relay', 'route'] as const).filter((path) => links.get(path) !== undefined),
    rttMs: active ? links.rttMs : null,
    since: links.since ? isoTime(links.since.getTime()) : null,
    allow: [...record.allow],
    theyAllow: entry.theyAllow && [...entry.theyAllow],
    mine: record.mine === true,
    theyMarkMine: record.mine === true ? (entry.theyMarkMine ?? null) : null,
    ...(guest ? { groups: guestGroups(guest), guestOf: [...guest.because] } : {}),
    introducedBy: record.introducedBy ?? null,
    forwardTo: record.forwardTo ? [...record.forwardTo] : null,
    route: record.route?.map((fp) => routeText([fp], (f) => agent.peerName?.(f))) ?? null,
    listenOn: record.listenOn ? [...record.listenOn] : null,
    addresses: dialOrder(book).map((address) => {
      const known = book.find((e) => e.address === address)!;
      return {
        address,
        from: [...known.from],
        lastWorked: known.lastWorked ?? null,
        where: addressWhere(address, known.from, known.lastWorked),
      };
    }),
    ...(entry.traversal?.nextTryAt !== undefined && entry.traversal.gaveUp !== undefined
      ? { directRetryAt: isoTime(entry.traversal.nextTryAt) }
      : {}),
    ...(entry.traversal?.droppedCandidates ? { candidatesDropped: entry.traversal.droppedCandidates } : {}),
  };
}

/** The path's and the listening address, each with where it stands (core/address-where.ts). */
function addressesWhere(
  entry: ReadonlyPeerEntry,
  book: readonly KnownAddress[],
  view: PeerAddressView,
): PeerAddressView & Pick<PeerInfo, 'addressWhere' | 'listenAddressWhere'> {
  const where = (address: string) => {
    const known = book.find((e) => e.address === address);
    return addressWhere(address, known?.from ?? ['hello'], known?.lastWorked);
  };
  const active = entry.links.active;
  const punched = active?.path === 'direct' && isPunchedLink(active.link);
  return {
    ...view,
    ...(active?.path === 'direct' && view.address !== null
      ? { addressWhere: punched ? 'punched' : where(view.address) }
      : {}),
    ...(view.listenAddress !== null ? { listenAddressWhere: where(view.listenAddress) } : {}),
  };
}

export function peerList(agent: Pick<PeersDeps, 'links' | 'guests'>): PeerInfo[] {
  const source = agent.links.stateSource();
  // The guests once for the whole list: each lookup of one reads every group's members.
  const guests = agent.guests && new Map(agent.guests.list().map((g) => [g.fingerprint, g]));
  return agent.links.peerEntries().map((e) => peerInfo(source, e, guests));
}

/** One peer's line, as `peers` shows it. */
function infoOf(agent: Pick<PeersDeps, 'links' | 'guests'>, entry: ReadonlyPeerEntry): PeerInfo {
  return peerInfo(agent.links.stateSource(), entry, agent.guests);
}

export type { AskedWords, GuestChange };

/**
 * Refuses to `what` a node let in without a pairing (a guest): no record here says what it may do,
 * what it is called or how it is reached. What let it in decides that, and its source says where and
 * with which command (services/guest-changes.ts: the groups name the group command, with the words
 * it would come to when `asked` names them), so these methods name no domain.
 * @throws ClawError('BAD_ARGUMENT') naming why it is here and what applies instead, as the hint
 */
export function refuseGuest(
  agent: Pick<PeersDeps, 'links' | 'guests' | 'state'>,
  ref: string,
  what: string,
  change: GuestChange = 'access',
  asked?: AskedWords,
): void {
  const entry = resolvePeer(agent.links, ref);
  if (agent.state.peer(entry.fingerprint)) return;
  const guest = agent.guests?.get(entry.fingerprint);
  if (!guest) return;
  const why = `cannot ${what} ${entry.record.name}: it is here through ${guest.because.join(', ')}, not paired`;
  const decided = agent.guests?.decidedWhere(entry.fingerprint, change, asked);
  if (!decided) throw new ClawError('BAD_ARGUMENT', `${why}; what let it in decides that`);
  throw new ClawError(
    'BAD_ARGUMENT',
    ...commandArgs(`${why}; ${decided.before}`, decided.hint, decided.after),
  );
}

/** The entry the links keep for a peer just saved (they follow the node state at once). */
function entryOf(agent: Pick<PeersDeps, 'links'>, fingerprint: string): ReadonlyPeerEntry {
  const entry = agent.links.peerEntry(fingerprint);
  if (!entry) throw new ClawError('INTERNAL', `peer ${fingerprint.slice(0, 8)} was saved but is not tracked`);
  return entry;
}

function normalizeAddress(address: string): string {
  const { host, port } = parseHostPort(address);
  if (port === 0) throw new ClawError('BAD_ARGUMENT', `address ${address}: port 0 cannot be dialed`);
  return formatHostPort(host, port);
}

export function addPeer(agent: PeersDeps, p: MethodParams<'peers.add'>): PeerInfo {
  const fingerprint = parseFingerprint(p.fingerprint);
  if (fingerprint === agent.identity.fingerprint) {
    throw new ClawError('BAD_ARGUMENT', "that is this node's own fingerprint; add the other node's");
  }
  const address = p.address ? normalizeAddress(p.address) : undefined;
  const clash = peerNameClash(agent.state.peers(), p.name, fingerprint);
  if (clash) throw new ClawError('BAD_ARGUMENT', clash);
  const existing = agent.state.peer(fingerprint);
  if (existing && existing.name !== p.name && !p.rename) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${fingerprint.slice(0, 8)} is already the peer '${existing.name}'; add --rename to call it '${p.name}'`,
    );
  }
  const homeRelay = p.relay !== undefined ? givenHomeRelay(p, existing?.homeRelay) : existing?.homeRelay;
  if (p.relay === undefined && (p.relayFingerprint !== undefined || p.relayToken !== undefined)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      "--relay-fingerprint and --relay-token are for the peer's relay: add --relay URL",
    );
  }
  const pending = agent.state.pending().find((x) => x.fingerprint === fingerprint);
  // What the user gives is kept apart from what the peer announces, and never dropped for it.
  const announced = learnAddresses(existing?.addresses ?? [], pending?.addresses ?? [], 'hello');
  const addresses = address ? learnAddresses(announced, [address], 'given') : announced;
  // A known peer keeps what was set or learned about it (permissions unless given, certificate, forward
  // limits, home relay): adding it again renames it or adds an address, nothing else.
  const record: PeerRecord = {
    ...existing,
    fingerprint,
    name: p.name,
    allow: p.allow ?? existing?.allow ?? [...agent.state.vocabulary.permissions.byDefault],
    addresses,
    addedAt: existing?.addedAt ?? isoTime(),
    ...(homeRelay ? { homeRelay } : {}),
  };
  // Adding a node by hand answers its pending request and lifts any block (the store does all three).
  agent.state.addPeer(record);
  agent.notices.changed();
  return infoOf(agent, entryOf(agent, fingerprint));
}

/**
 * The home relay given with `peers add --relay`: a ws:// or wss:// URL, pinned only when wss:// (ws://
 * has no certificate). The token an invite saved for the same URL is kept.
 */
function givenHomeRelay(
  p: Pick<MethodParams<'peers.add'>, 'relay' | 'relayFingerprint' | 'relayToken'>,
  known: RelaySetting | undefined,
): RelaySetting {
  const raw = p.relay!;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') {
    throw new ClawError('BAD_ARGUMENT', `--relay must be a ws:// or wss:// URL, got '${raw}'`);
  }
  if (url.protocol === 'ws:' && p.relayFingerprint !== undefined) {
    throw new ClawError(
      'BAD_ARGUMENT',
      'a ws:// relay has no certificate to pin: use its wss:// URL or leave out --relay-fingerprint',
    );
  }
  const fingerprint = p.relayFingerprint !== undefined ? parseFingerprint(p.relayFingerprint) : undefined;
  // A token given now wins; else one saved for the same relay (an invite's) is kept.
  const token =
    p.relayToken !== undefined
      ? p.relayToken
      : known && sameRelayUrl(known.url, raw)
        ? known.token
        : undefined;
  return { url: raw, ...(fingerprint ? { fingerprint } : {}), ...(token ? { token } : {}) };
}

export function removePeer(agent: PeersDeps, ref: string): { name: string; fingerprint: string } {
  const entry = resolvePeer(agent.links, ref);
  const { name, fingerprint } = entry.record;
  // The links follow: they hang up on the peer with why (peer-link-set.ts).
  agent.state.removePeer(fingerprint);
  return { name, fingerprint };
}

export function setPermission(
  agent: PeersDeps,
  ref: string,
  permission: Permission,
  granted: boolean,
): PeerInfo {
  if (!agent.state.vocabulary.permissions.knows(permission))
    throw new ClawError('BAD_ARGUMENT', `unknown permission '${String(permission)}'`);
  const entry = resolvePeer(agent.links, ref);
  const allow = granted
    ? [...new Set([...entry.record.allow, permission])]
    : entry.record.allow.filter((x) => x !== permission);
  agent.state.setPermissions(entry.fingerprint, allow);
  agent.notices.changed();
  return infoOf(agent, entry);
}

/**
 * Limits where a peer's forwards may go on this node (`forwardTo`), or lifts the limits (null). Takes
 * effect for the next connection; open ones keep going.
 * @throws ClawError('BAD_ARGUMENT') naming every pattern that is not HOST:PORT
 */
export function setForwardLimits(
  agent: PeersDeps,
  ref: string,
  patterns: readonly string[] | null,
): PeerInfo {
  const forwardTo = patterns === null ? undefined : [...new Set(patterns.map((p) => p.trim()))];
  const bad = forwardTo ? malformedPatterns(forwardTo) : [];
  if (bad.length > 0) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `not a HOST:PORT pattern with a port of 1–65535 or a glob: ${bad.map((b) => `'${b}'`).join(', ')} (e.g. *.corp.example:443, 10.0.0.*:22, [::1]:8080, *:*)`,
    );
  }
  const entry = resolvePeer(agent.links, ref);
  agent.state.setForwardTo(entry.fingerprint, forwardTo);
  agent.notices.changed();
  return infoOf(agent, entry);
}

/**
 * Limits where a peer's reverse forwards may listen on this node (`listenOn`), or lifts the limits
 * (null: any loopback port). A listener the new limits refuse closes at once (reverse-listen-service.ts).
 * @throws ClawError('BAD_ARGUMENT') naming every pattern that is not HOST:PORT
 */
export function setListenLimits(agent: PeersDeps, ref: string, patterns: readonly string[] | null): PeerInfo {
  const listenOn = patterns === null ? undefined : [...new Set(patterns.map((p) => p.trim()))];
  const bad = listenOn ? malformedPatterns(listenOn) : [];
  if (bad.length > 0) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `not a HOST:PORT pattern with a port of 1–65535 or a glob: ${bad.map((b) => `'${b}'`).join(', ')} (e.g. 127.0.0.1:8080, 127.0.0.1:80*, *:*)`,
    );
  }
  const entry = resolvePeer(agent.links, ref);
  agent.state.setListenOn(entry.fingerprint, listenOn);
  agent.notices.changed();
  return infoOf(agent, entry);
}

/**
 * Gives a peer another local name (names are unique here; the peer is not told). Forwards through the
 * peer follow in the same write (node-state.ts).
 * @throws ClawError('BAD_ARGUMENT') when another peer has that name
 */
export function renamePeer(agent: PeersDeps, ref: string, name: string): PeerInfo {
  const entry = resolvePeer(agent.links, ref);
  agent.state.rename(entry.fingerprint, name);
  agent.notices.changed();
  return infoOf(agent, entry);
}

/** `peers.retry`: a direct link is tried now (links/peer-link-set.ts retryDirect). */
export function retryDirect(agent: PeersDeps, ref: string): PeerInfo {
  const entry = resolvePeer(agent.links, ref);
  agent.links.retryDirect(entry.fingerprint);
  agent.notices.changed();
  return infoOf(agent, entry);
}

export async function ping(agent: PeersDeps, ref: string, timeoutMs = 5000): Promise<PingResult> {
  const entry = resolvePeer(agent.links, ref);
  let active = agent.links.activePath(entry);
  // The owner's ping is a use of the pair (a heartbeat's PING is none): it counts for a relayed
  // pair's next try at a direct link (links/punch-rounds.ts).
  agent.links.noteUse(entry.fingerprint);
  let rttMs: number;
  try {
    rttMs = await active.mux.ping(timeoutMs);
  } catch (err) {
    // Two nodes that dial each other at once (right after pairing) keep one link and close the other
    // as a duplicate: a ping that went out on the closed one asks again on the one that stays.
    const now = entry.links.active;
    if (!isClawError(err, 'LINK_CLOSED') || !now || now.mux === active.mux) throw err;
    active = agent.links.activePath(entry);
    rttMs = await active.mux.ping(timeoutMs);
  }
  agent.links.noteRtt(entry.fingerprint, rttMs);
  // A link the peer dialed has an ephemeral far end: name the address it listens on instead. Of the
  // link the ping went over: the peer's link may have moved to another path meanwhile.
  const remote = addressOf(entry, active).address ?? active.link.remote;
  return { peer: entry.record.name, path: active.path, remote, rttMs };
}

/**
 * Saves the route a peer is reached through (`peers route NAME --via B --via C`), or clears it (null):
 * from then on every stream to the peer goes through the hops in order (docs/adr/0017-multi-hop-routes.md).
 * @throws ClawError('BAD_ARGUMENT') when the route cannot be (routes.ts routeProblem); nothing is saved
 */
export function setRoute(agent: PeersDeps, ref: string, via: readonly string[] | null): PeerInfo {
  const entry = resolvePeer(agent.links, ref);
  const hops = via?.map((hop) => resolvePeer(agent.links, hop).fingerprint);
  agent.state.setRoute(entry.fingerprint, hops);
  agent.notices.changed();
  return infoOf(agent, entry);
}
