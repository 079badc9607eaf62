/**
 * Who this node trusts: the saved peers, the pending requests and the blocked list (settings `peers`,
 * `pending`, `blocked`). This is their only writer, so the rules that tie the three lists together live
 * in one place: a node that becomes a peer stops being pending and blocked; a removed peer is blocked; a
 * node that proves it holds a fresh code is unblocked. Callers keep their own rules about *when* to
 * trust (approvals.ts, pairing.ts, peer-api.ts); this module only keeps the lists consistent.
 */
import { ClawError } from '../core/errors.js';
import { hereHint } from '../core/hint.js';
import { expirePending, MAX_BLOCKED, offerPending, type OfferResult } from './pending.js';
import { sameRelayUrl } from '../core/relay-url.js';
import { peerNameClash } from './peer-names.js';
import type { PeerRecord, PendingRecord, Permission, RelaySetting, Settings } from './settings.js';

/** The part of SettingsStore the trust store needs: a fake in tests, conf on disk in the agent. */
export interface SettingsPort {
  get(): Settings;
  update(change: (s: Settings) => Settings): Settings;
}

/** A request as a node makes it; the store adds its id and when it was first and last seen. */
export type PendingRequest = Omit<PendingRecord, 'id' | 'firstSeen' | 'lastSeen'>;

const without = <T extends { fingerprint: string }>(list: readonly T[], fingerprint: string): T[] =>
  list.filter((x) => x.fingerprint !== fingerprint);

export class TrustStore {
  constructor(private readonly settings: SettingsPort) {}

  peers(): readonly PeerRecord[] {
    return this.settings.get().peers;
  }

  peer(fingerprint: string): PeerRecord | undefined {
    return this.peers().find((p) => p.fingerprint === fingerprint);
  }

  /** The live requests; expired ones are dropped from the saved list on the way (they would never act). */
  pending(now = Date.now()): PendingRecord[] {
    const saved = this.settings.get().pending;
    const live = expirePending(saved, now);
    if (live.length !== saved.length) this.settings.update((s) => ({ ...s, pending: live }));
    return live;
  }

  isBlocked(fingerprint: string): boolean {
    return this.settings.get().blocked.some((b) => b.fingerprint === fingerprint);
  }

  /**
   * Saves `record` as a peer (replacing any record with its fingerprint), answers its pending request
   * and lifts any block: trusting a node by any route (approval, pairing, `peers add`) means all three.
   */
  addPeer(record: PeerRecord): PeerRecord {
    const fp = record.fingerprint;
    this.settings.update((s) => ({
      ...s,
      peers: [...without(s.peers, fp), record],
      pending: without(s.pending, fp),
      blocked: without(s.blocked, fp),
    }));
    return this.peer(fp) ?? record;
  }

  /** Forgets a peer and blocks it, so it does not come back as a pending request on its next hello. */
  removePeer(fingerprint: string): void {
    this.settings.update((s) => ({ ...s, peers: without(s.peers, fingerprint) }));
    this.block(fingerprint);
  }

  /**
   * Records a request or refreshes the one from the same node (caps and expiry: pending.ts). A request
   * that came with a code unblocks its node: the owner handed that node a fresh code.
   */
  recordPending(req: PendingRequest, now = Date.now()): OfferResult {
    const result = offerPending(this.settings.get().pending, req, now);
    if ('refused' in result) return result;
    this.settings.update((s) => ({
      ...s,
      pending: result.list,
      blocked: req.via === 'code' ? without(s.blocked, req.fingerprint) : s.blocked,
    }));
    return result;
  }

  dropPending(id: string): void {
    this.dropPendingWhere((p) => p.id === id);
  }

  dropPendingWhere(matches: (p: PendingRecord) => boolean): void {
    this.settings.update((s) => ({ ...s, pending: s.pending.filter((p) => !matches(p)) }));
  }

  /** Remembers a node the owner removed or rejected; the oldest entries go past MAX_BLOCKED. */
  block(fingerprint: string, at = new Date()): void {
    this.settings.update((s) => ({
      ...s,
      blocked: [...without(s.blocked, fingerprint), { fingerprint, at: at.toISOString() }].slice(
        -MAX_BLOCKED,
      ),
    }));
  }

  unblock(fingerprint: string): void {
    this.settings.update((s) => ({ ...s, blocked: without(s.blocked, fingerprint) }));
  }

  /**
   * Gives a peer another local name. Names are how commands refer to peers, so they stay unique.
   * @throws ClawError('BAD_ARGUMENT') when the name would read as another peer's (peer-names.ts)
   */
  rename(fingerprint: string, name: string): PeerRecord {
    const clash = peerNameClash(this.peers(), name, fingerprint);
    if (clash) throw new ClawError('BAD_ARGUMENT', clash);
    return this.change(fingerprint, (p) => ({ ...p, name }));
  }

  setPermissions(fingerprint: string, allow: readonly Permission[]): PeerRecord {
    return this.change(fingerprint, (p) => ({ ...p, allow: [...allow] }));
  }

  /** Limits where the peer's forwards may go (HOST:PORT patterns), or lifts the limits (undefined). */
  setForwardTo(fingerprint: string, forwardTo: readonly string[] | undefined): PeerRecord {
    return this.change(fingerprint, ({ forwardTo: _lifted, ...rest }) =>
      forwardTo ? { ...rest, forwardTo: [...forwardTo] } : rest,
    );
  }

  /**
   * Replaces the peer's direct addresses (peer-addresses.ts merges and caps them). Returns undefined,
   * without throwing, when the peer was removed meanwhile: a late hello must not fail its link.
   */
  setAddresses(fingerprint: string, addresses: readonly string[]): PeerRecord | undefined {
    if (!this.peer(fingerprint)) return undefined;
    return this.change(fingerprint, (p) => ({ ...p, addresses: [...addresses] }));
  }

  /**
   * Records where the peer lives (its home relay, dialed on demand: relay-set.ts). A token saved for the
   * same URL (an invite's) is kept: hellos never carry tokens. Nothing is written when nothing changed,
   * since every hello brings it again. Returns undefined, without throwing, when the peer was removed.
   */
  setHomeRelay(fingerprint: string, home: RelaySetting): PeerRecord | undefined {
    const peer = this.peer(fingerprint);
    if (!peer) return undefined;
    const token =
      home.token ??
      (peer.homeRelay && sameRelayUrl(peer.homeRelay.url, home.url) ? peer.homeRelay.token : undefined);
    const next: RelaySetting = {
      url: home.url,
      ...(home.fingerprint ? { fingerprint: home.fingerprint } : {}),
      ...(token ? { token } : {}),
    };
    const same =
      peer.homeRelay?.url === next.url &&
      peer.homeRelay.fingerprint === next.fingerprint &&
      peer.homeRelay.token === next.token;
    if (same) return peer;
    return this.change(fingerprint, (p) => ({ ...p, homeRelay: next }));
  }

  /** @throws ClawError('PEER_NOT_FOUND') when no saved peer has `fingerprint` */
  private change(fingerprint: string, edit: (p: PeerRecord) => PeerRecord): PeerRecord {
    if (!this.peer(fingerprint)) {
      throw new ClawError(
        'PEER_NOT_FOUND',
        `no peer ${fingerprint.slice(0, 8)}; list the peers to see which there are`,
        { hint: hereHint(['peers']) },
      );
    }
    this.settings.update((s) => ({
      ...s,
      peers: s.peers.map((p) => (p.fingerprint === fingerprint ? edit(p) : p)),
    }));
    return this.peer(fingerprint)!;
  }
}
