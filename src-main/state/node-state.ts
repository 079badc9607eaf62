/**
 * The node's state and its one writer (docs/architecture.md §State and its owners): peers with their
 * permissions, limits, and the addresses and home relays a person gave; pending requests; blocked
 * nodes; relays; the node's options; and the sections domains own (settings-sections.ts), each written
 * through the slice its domain is handed. What the node
 * observes (addresses and home relays heard, dial successes) is not state: observations.ts keeps it. Every write goes through here
 * and is announced as typed changes (state-changes.ts). What the owner decided is saved durably in
 * config.json (settings-file.ts) before it counts; pending requests are what other nodes asked, kept
 * best effort in pending.json (pending-file.ts, ADR 0080), so a knock never writes config.json. Parts read the state at the moment
 * they need it, or subscribe; none keeps a copy, so a permission check always sees the current grant.
 *
 * The rules that tie the lists together live here too: a node that becomes a peer stops being pending
 * and blocked; a removed peer is blocked; a node that proves it holds a fresh code is unblocked; a
 * renamed peer takes what the domains' sections bind to it along (their rename rules), in one write.
 */
import { ClawError } from '../core/errors.js';
import { hereHint, commandIn } from '../core/hint.js';
import { Emitter } from '../core/emitter.js';
import { sameRelayUrl } from '../core/relay-url.js';
import { expirePending, MAX_BLOCKED, offerPending, type OfferResult } from './pending.js';
import { peerNameClash } from './peer-names.js';
import { routeProblem } from '../core/routes.js';
import { SettingsFile } from './settings-file.js';
import { inMemoryPending, pendingFile, type PendingBacking } from './pending-file.js';
import { diffPending, diffSettings, type StateChange } from './state-changes.js';
import type { MembershipPlan } from './membership.js';
import type { Vocabulary } from '../api/vocabulary.js';
import {
  type ListSectionKey,
  type PeerRenamed,
  type SectionKey,
  type SettingsSlice,
} from './settings-sections.js';
import type { PeerRecord, PendingRecord, Permission, RelaySetting, Settings } from './settings.js';
import { isoTime } from '../core/iso-time.js';

export type { StateChange, StateChangeKind } from './state-changes.js';

/** Where the state is kept: the settings file in the agent, an in-memory fake in tests. */
export interface StateBacking {
  /** What it holds, frozen: readers share it, and only `update` swaps in another. */
  get(): Settings;
  /** Validates and saves `change`'s result, or throws and changes nothing. */
  update(change: (s: Settings) => Settings): Settings;
  /** Where it is kept, for messages (the settings file's path). */
  readonly path?: string;
  /** Settings the file has that this release does not know (kept, not used). */
  readonly unknownKeys?: string[];
  /** The permission words and sections it reads with: its composition's (api/vocabulary.ts). */
  readonly vocabulary: Vocabulary;
}

/** A request as a node makes it; the store adds its id and when it was first and last seen. */
export type PendingRequest = Omit<PendingRecord, 'id' | 'firstSeen' | 'lastSeen'>;

/** The options `settings.set` and the agent's flags change (`relays` whole only from flags). */
export type NodeOptions = Partial<Omit<Settings, 'peers' | 'pending' | 'blocked' | ListSectionKey>>;

const without = <T extends { fingerprint: string }>(list: readonly T[], fingerprint: string): T[] =>
  list.filter((x) => x.fingerprint !== fingerprint);

/** What readers see of the state: everything, read only. Most parts take only this. */
export interface NodeStateReader {
  get(): Settings;
  peers(): readonly PeerRecord[];
  peer(fingerprint: string): PeerRecord | undefined;
  isBlocked(fingerprint: string): boolean;
  /** Called after every saved write, once per entry that changed; returns a disposer. */
  subscribe(listener: (change: StateChange) => void): () => void;
}

/**
 * Saved peers by fingerprint, one map per saved list. A peer list of the API asks for each peer's
 * record several times (its relay, its addresses, its state), so a search of the list each time made
 * listing n peers cost n² steps. Settings are frozen, so a list never changes under its map.
 */
const peerIndexes = new WeakMap<readonly PeerRecord[], ReadonlyMap<string, PeerRecord>>();

function peerIndex(peers: readonly PeerRecord[]): ReadonlyMap<string, PeerRecord> {
  let index = peerIndexes.get(peers);
  if (!index) {
    const byFingerprint = new Map<string, PeerRecord>();
    for (const p of peers) if (!byFingerprint.has(p.fingerprint)) byFingerprint.set(p.fingerprint, p);
    index = byFingerprint;
    peerIndexes.set(peers, index);
  }
  return index;
}

export class NodeState implements NodeStateReader {
  private readonly changes = new Emitter<{ change: [StateChange] }>();
  /** What the domains' sections do when a peer is renamed (SettingsSlice.onPeerRenamed), in one write. */
  private readonly renameRules = new Set<(s: Settings, renamed: PeerRenamed) => Settings>();
  /** The pending requests, read from their file on first use (most commands never need them). */
  private requests: PendingRecord[] | undefined;

  constructor(
    private readonly backing: StateBacking,
    private readonly pendingBacking: PendingBacking = inMemoryPending(),
  ) {}

  /**
   * The state kept in `home`'s settings file (read and validated now) and its pending requests file
   * (read on first use; `warn` says what it could not read or save). `vocabulary`: the permission
   * words and settings sections the composition's domains bring (api/vocabulary.ts); the node's own
   * alone when not given (a process that runs no agent).
   */
  static open(
    home: string,
    warn: (line: string) => void = () => undefined,
    vocabulary?: Vocabulary,
  ): NodeState {
    return new NodeState(new SettingsFile(home, vocabulary), pendingFile(home, warn));
  }

  /** The permission words and settings sections the state is read and written with. */
  get vocabulary(): Vocabulary {
    return this.backing.vocabulary;
  }

  /** Where the state is kept (the settings file), for messages. */
  get path(): string {
    return this.backing.path ?? 'the settings';
  }

  /** Settings the file has that this release does not know: kept when saving, but not used. */
  get unknownKeys(): string[] {
    return this.backing.unknownKeys ?? [];
  }

  get(): Settings {
    return this.backing.get();
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    return this.changes.on('change', listener);
  }

  /** Saves `change` and announces what it changed. @throws and changes nothing when it cannot be saved. */
  private commit(change: (s: Settings) => Settings): Settings {
    const before = this.backing.get();
    const after = this.backing.update(change);
    for (const c of diffSettings(before, after, this.vocabulary)) this.changes.emit('change', c);
    return after;
  }

  // ---- peers, pending requests, blocked nodes ----

  peers(): readonly PeerRecord[] {
    return this.get().peers;
  }

  peer(fingerprint: string): PeerRecord | undefined {
    return peerIndex(this.peers()).get(fingerprint);
  }

  /**
   * The live requests. A read never writes: expired ones are left out here, and leave the saved list
   * with the next write of it (offerPending drops them).
   */
  pending(now = Date.now()): PendingRecord[] {
    return expirePending(this.requestList(), now);
  }

  /**
   * The requests as kept. A node that is a peer or blocked in config.json is not pending: the owner's
   * decision is saved first and the request's removal best effort, so a crash between the two can
   * leave a decided request in the file; it is left out here and goes with the next write.
   */
  private requestList(): PendingRecord[] {
    if (this.requests === undefined) {
      const { peers, blocked } = this.get();
      const decided = new Set([...peers, ...blocked].map((x) => x.fingerprint));
      this.requests = this.pendingBacking.load().filter((p) => !decided.has(p.fingerprint));
    }
    return this.requests;
  }

  /** Keeps `next` as the pending requests (saved best effort: pending-file.ts) and announces the changes. */
  private commitPending(next: PendingRecord[]): void {
    const before = this.requestList();
    const changes = diffPending(before, next);
    if (changes.length === 0) return;
    this.pendingBacking.save(next);
    this.requests = next;
    for (const c of changes) this.changes.emit('change', c);
  }

  isBlocked(fingerprint: string): boolean {
    return this.get().blocked.some((b) => b.fingerprint === fingerprint);
  }

  /**
   * Saves `record` as a peer (replacing any record with its fingerprint), answers its pending request
   * and lifts any block: trusting a node by any route (approval, pairing, `peers add`) means all three.
   * A known peer saved under another name (`peers add --rename`) takes what the domains bound to it
   * along (their rename rules), in the same write.
   */
  addPeer(record: PeerRecord): PeerRecord {
    const fp = record.fingerprint;
    const before = this.peer(fp)?.name;
    this.commit((s) => {
      const next = { ...s, peers: [...without(s.peers, fp), record], blocked: without(s.blocked, fp) };
      return before !== undefined && before !== record.name
        ? this.followRename(next, { fingerprint: fp, before, after: record.name })
        : next;
    });
    this.commitPending(without(this.requestList(), fp));
    return this.peer(fp) ?? record;
  }

  /**
   * Forgets a peer and blocks it, so it does not come back as a pending request on its next hello.
   * `byRemoval`: a signed removal of the owner's devices did it (settings.ts `byRemoval`).
   */
  removePeer(fingerprint: string, at = new Date(), byRemoval = false): void {
    this.commit((s) => ({
      ...s,
      peers: without(s.peers, fingerprint),
      blocked: blockedWith(s.blocked, fingerprint, at, byRemoval),
    }));
  }

  /**
   * Marks a peer as one of the owner's devices or not (ADR 0056). The signed introduction that goes
   * with it is kept by the member log (member-log.ts), saved before this.
   */
  setMine(fingerprint: string, on: boolean): PeerRecord {
    this.requirePeer(fingerprint);
    this.commit((s) => ({
      ...s,
      peers: s.peers.map((p) => {
        if (p.fingerprint !== fingerprint) return p;
        const { mine: _was, ...rest } = p;
        return on ? { ...rest, mine: true } : rest;
      }),
    }));
    return this.peer(fingerprint)!;
  }

  /**
   * Saves the peers and blocked nodes a membership exchange decided (membership.ts planMembership),
   * in one write; its records are kept by the member log, saved before this (ADR 0065).
   */
  applyMembership(plan: Pick<MembershipPlan, 'peers' | 'blocked'>): void {
    const added = new Set(plan.peers.map((p) => p.fingerprint));
    this.commit((s) => ({
      ...s,
      peers: plan.peers,
      blocked: plan.blocked.slice(-MAX_BLOCKED),
    }));
    this.commitPending(this.requestList().filter((p) => !added.has(p.fingerprint)));
  }

  /** Drops the membership records an older release kept in config.json, once member-log.ts has them. */
  dropLegacyMembers(): void {
    if (this.get().members === undefined) return;
    this.commit(({ members: _moved, ...rest }) => rest);
  }

  /**
   * Moves the requests an older release kept in config.json (`pending`) to the pending file (those of
   * nodes decided on since are left out), then drops them from config.json: the pending file first, so
   * only a crash between the two can lose them, and their nodes ask again.
   * @returns how many requests config.json had
   */
  moveLegacyPending(): number {
    const legacy = this.get().pending;
    if (legacy === undefined) return 0;
    const kept = this.requestList();
    const moved = legacy.filter(
      (p) =>
        !this.peer(p.fingerprint) &&
        !this.isBlocked(p.fingerprint) &&
        !kept.some((k) => k.id === p.id || k.fingerprint === p.fingerprint),
    );
    this.commitPending([...kept, ...moved]);
    this.commit(({ pending: _moved, ...rest }) => rest);
    return legacy.length;
  }

  /**
   * Records a request or refreshes the one from the same node (caps and expiry: pending.ts), in the
   * pending file only: config.json is written only when a request that came with a code unblocks its
   * node (the owner handed that node a fresh code: the owner's decision).
   */
  recordPending(req: PendingRequest, now = Date.now()): OfferResult {
    const result = offerPending(this.requestList(), req, now);
    if ('refused' in result) return result;
    if (req.via === 'code' && this.isBlocked(req.fingerprint)) {
      this.commit((s) => ({ ...s, blocked: without(s.blocked, req.fingerprint) }));
    }
    this.commitPending(result.list);
    return result;
  }

  dropPending(id: string): void {
    this.dropPendingWhere((p) => p.id === id);
  }

  dropPendingWhere(matches: (p: PendingRecord) => boolean): void {
    this.commitPending(this.requestList().filter((p) => !matches(p)));
  }

  /**
   * Answers a request with no: its node is blocked (saved durably, the owner's decision), then the
   * request goes (best effort; a request of a blocked node is never read back: requestList).
   */
  rejectPending(id: string, fingerprint: string, at = new Date()): void {
    this.commit((s) => ({ ...s, blocked: blockedWith(s.blocked, fingerprint, at) }));
    this.commitPending(this.requestList().filter((p) => p.id !== id));
  }

  /**
   * Remembers a node the owner removed or rejected (`byRemoval`: a signed removal of the owner's
   * devices did); the oldest entries go past MAX_BLOCKED.
   */
  block(fingerprint: string, at = new Date(), byRemoval = false): void {
    this.commit((s) => ({ ...s, blocked: blockedWith(s.blocked, fingerprint, at, byRemoval) }));
  }

  unblock(fingerprint: string): void {
    this.commit((s) => ({ ...s, blocked: without(s.blocked, fingerprint) }));
  }

  /**
   * Gives a peer another local name; what the domains bound to it (forwards and proxies) follows in
   * the same write, by their rename rules. Names are how commands refer to peers, so they stay unique.
   * @throws ClawError('BAD_ARGUMENT') when the name would read as another peer's (peer-names.ts)
   */
  rename(fingerprint: string, name: string): PeerRecord {
    const clash = peerNameClash(this.peers(), name, fingerprint);
    if (clash) throw new ClawError('BAD_ARGUMENT', clash);
    const before = this.requirePeer(fingerprint).name;
    this.commit((s) =>
      this.followRename(
        { ...s, peers: s.peers.map((p) => (p.fingerprint === fingerprint ? { ...p, name } : p)) },
        { fingerprint, before, after: name },
      ),
    );
    return this.peer(fingerprint)!;
  }

  setPermissions(fingerprint: string, allow: readonly Permission[]): PeerRecord {
    return this.changePeer(fingerprint, (p) => ({ ...p, allow: [...allow] }));
  }

  /** Limits where the peer's forwards may go (HOST:PORT patterns), or lifts the limits (undefined). */
  setForwardTo(fingerprint: string, forwardTo: readonly string[] | undefined): PeerRecord {
    return this.changePeer(fingerprint, ({ forwardTo: _lifted, ...rest }) =>
      forwardTo ? { ...rest, forwardTo: [...forwardTo] } : rest,
    );
  }

  /** Limits where the peer's reverse forwards may listen here (HOST:PORT patterns), or lifts them. */
  setListenOn(fingerprint: string, listenOn: readonly string[] | undefined): PeerRecord {
    return this.changePeer(fingerprint, ({ listenOn: _lifted, ...rest }) =>
      listenOn ? { ...rest, listenOn: [...listenOn] } : rest,
    );
  }

  /**
   * Saves the route the peer is reached through (hop fingerprints, in order), or clears it (undefined).
   * @throws ClawError('BAD_ARGUMENT') with routes.ts's one line when it cannot be; nothing is saved
   */
  setRoute(fingerprint: string, hops: readonly string[] | undefined): PeerRecord {
    this.requirePeer(fingerprint);
    if (hops) {
      const problem = routeProblem(fingerprint, hops, this.peers());
      if (problem) throw new ClawError('BAD_ARGUMENT', problem);
    }
    return this.changePeer(fingerprint, ({ route: _cleared, ...rest }) =>
      hops ? { ...rest, route: [...hops] } : rest,
    );
  }

  /** @throws ClawError('PEER_NOT_FOUND') when no saved peer has `fingerprint` */
  private requirePeer(fingerprint: string): PeerRecord {
    const peer = this.peer(fingerprint);
    if (peer) return peer;
    const { message, hint } = commandIn(
      `no peer ${fingerprint.slice(0, 8)}; `,
      hereHint(['peers']),
      ' lists them',
    );
    throw new ClawError('PEER_NOT_FOUND', message, { hint });
  }

  private changePeer(fingerprint: string, edit: (p: PeerRecord) => PeerRecord): PeerRecord {
    this.requirePeer(fingerprint);
    this.commit((s) => ({
      ...s,
      peers: s.peers.map((p) => (p.fingerprint === fingerprint ? edit(p) : p)),
    }));
    return this.peer(fingerprint)!;
  }

  // ---- relays ----

  /**
   * Saves a relay to use; false (nothing written) when one with the same URL is saved already. The
   * relay clients follow the change (relays.ts): this is the one place a saved relay is written.
   */
  addRelay(relay: RelaySetting): boolean {
    if (this.get().relays.some((r) => sameRelayUrl(r.url, relay.url))) return false;
    this.commit((s) => ({ ...s, relays: [...s.relays, relay] }));
    return true;
  }

  /** Forgets a saved relay; false when none had that URL. */
  removeRelay(url: string): boolean {
    if (!this.get().relays.some((r) => sameRelayUrl(r.url, url))) return false;
    this.commit((s) => ({ ...s, relays: s.relays.filter((r) => !sameRelayUrl(r.url, url)) }));
    return true;
  }

  // ---- the sections domains own ----

  /**
   * The slice of the settings section `key` (settings-sections.ts): the composition root hands it to
   * the one domain whose description names it, which makes its named writes on it.
   */
  section<K extends SectionKey>(key: K): SettingsSlice<K> {
    // A section no domain of this composition brought is not in the schema: the file keeps it untouched.
    if (!this.vocabulary.sections.has(key)) throw new Error(`no domain here brings the settings' ${key}`);
    return {
      get: () => this.get()[key],
      update: (change) => {
        this.commit((s) => ({ ...s, [key]: change(s[key]) }));
      },
      onPeerRenamed: (rule) => {
        const apply = (s: Settings, renamed: PeerRenamed): Settings => ({
          ...s,
          [key]: rule(s[key], renamed),
        });
        this.renameRules.add(apply);
        return () => this.renameRules.delete(apply);
      },
    };
  }

  /** `s` with each section's rename rule applied (inside the write that renames the peer). */
  private followRename(s: Settings, renamed: PeerRenamed): Settings {
    let next = s;
    for (const rule of this.renameRules) next = rule(next, renamed);
    return next;
  }

  // ---- options ----

  /** Sets the node's options (`settings.set`, the agent's flags); validated as a whole before saving. */
  setOptions(options: NodeOptions): Settings {
    return this.commit((s) => ({ ...s, ...options }));
  }

  /** Puts back settings read earlier (a start that could not use the flags it was given). */
  restore(settings: Settings): void {
    this.commit(() => settings);
  }
}

function blockedWith(
  list: Settings['blocked'],
  fingerprint: string,
  at: Date,
  byRemoval = false,
): Settings['blocked'] {
  const entry = {
    fingerprint,
    at: isoTime(at.getTime()),
    ...(byRemoval ? { byRemoval: true as const } : {}),
  };
  return [...without(list, fingerprint), entry].slice(-MAX_BLOCKED);
}
