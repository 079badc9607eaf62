/**
 * The owner's side of trust (architecture.md §Pairing and approval): pending requests, approve,
 * reject, and the blocked list. A decision is saved durably in config.json before it counts; a request
 * is kept in pending.json, best effort (ADR 0080): it survives a normal restart, and one lost to a
 * crash is asked again by its node.
 */
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import { hereHint, commandIn } from '../core/hint.js';
import { abbreviateFingerprint, groupFingerprint, parseFingerprint } from '../core/fingerprint.js';
import { receivedNodeName } from '../core/names.js';
import type { Link } from '../transport/link.js';
import type { Logger } from 'pino';
import type { Hello } from '../links/control-service.js';
import {
  guestLine,
  notAGuestLine,
  latestVerified,
  pairedPeerRecord,
  unrecordedLine,
  waitingLine,
} from '../state/pending.js';
import type { PendingLinkDeps } from '../links/pending-links.js';
import { Emitter } from '../core/emitter.js';
import type { NodeState } from '../state/node-state.js';
import type { Notifier } from '../state/notices.js';
import type { PeerRecord, PendingRecord, Permission } from '../state/settings.js';
import type { PermissionVocabulary } from '../core/permissions.js';
import { nodeKindOfCert } from '../crypto/node-kind.js';

/** Which request: by id (with the compared fingerprint for a fingerprint-only one), or the latest verified. */
export interface PendingRef {
  id?: string;
  latest?: boolean;
  /** The fingerprint the owner compared (any accepted spelling); required to approve a fingerprint-only request. */
  fingerprint?: string;
}

export interface Decision {
  approved: boolean;
  record: PendingRecord;
  peer?: PeerRecord;
}

/**
 * What approvals use of the rest of the agent (architecture.md §Rules the code keeps). An approved
 * peer is dialed because the links follow the node state, not because approvals tell them to.
 */
export interface ApprovalsDeps {
  log: Logger;
  state: Pick<
    NodeState,
    | 'get'
    | 'peers'
    | 'pending'
    | 'isBlocked'
    | 'recordPending'
    | 'addPeer'
    | 'dropPending'
    | 'dropPendingWhere'
    | 'rejectPending'
    | 'vocabulary'
  >;
  notifier: Notifier;
  /**
   * Why a node that is no peer and no guest is refused rather than heard as a stranger, or undefined
   * (services/admission.ts GuestList.refusal: a domain's removed node that was told so).
   */
  refusal?(fingerprint: string): string | undefined;
  /**
   * Why a node that is no peer is let in here as a guest (`group lab`: a member's device on a
   * group's device, services/admission.ts GuestList), or undefined: such a node is no stranger, and
   * a request of its to pair by fingerprint is not kept.
   */
  guest?(fingerprint: string): string | undefined;
}

/**
 * What `approve` grants without --allow: a browser (ADR 0094) gets `terminal` only, whatever the domains
 * grant by default; any other node gets those defaults.
 */
export function defaultAllowFor(
  req: Pick<PendingRecord, 'cert'>,
  words: Pick<PermissionVocabulary, 'byDefault'>,
): Permission[] {
  if (req.cert !== undefined && nodeKindOfCert(req.cert) === 'browser') return ['terminal'];
  return [...words.byDefault];
}

export class Approvals implements Pick<PendingLinkDeps, 'onUnknownHello'> {
  /** `decision`: the owner decided on a request (pairing answers a joiner waiting for it). */
  readonly events = new Emitter<{ decision: [Decision] }>();

  constructor(private readonly deps: ApprovalsDeps) {}

  get name(): string {
    return this.deps.state.get().name ?? 'clawbridge';
  }
  get log(): Logger {
    return this.deps.log;
  }

  list(now = Date.now()): PendingRecord[] {
    return this.deps.state.pending(now);
  }

  isBlocked(fingerprint: string): boolean {
    return this.deps.state.isBlocked(fingerprint);
  }

  /** Records a request; returns the stored record, or throws with why it was refused. */
  record(given: Omit<PendingRecord, 'id' | 'firstSeen' | 'lastSeen'>): PendingRecord {
    // Every way a request comes in (a hello, a pairing) gives a name from another node: normal form.
    const req = { ...given, name: receivedNodeName(given.name) };
    if (req.via === 'fingerprint') this.refuseRemoved(req.fingerprint);
    const result = this.deps.state.recordPending(req);
    if ('refused' in result) throw new ClawError('RELAY_LIMIT', result.refused);
    // New, or a fingerprint-only request its node's code now verifies: the owner was told "via
    // fingerprint" (a dial of its came first), and the code is what `approve --latest` looks for.
    if (result.added || result.verified) {
      this.log.info(
        { id: result.record.id, fingerprint: req.fingerprint, via: req.via },
        result.added ? 'new pending request' : 'pending request verified by its code',
      );
      this.deps.notifier.notice({
        kind: 'pairing',
        ...commandIn(
          `${req.name} (${abbreviateFingerprint(req.fingerprint)}) asks to pair via ${req.via}: `,
          hereHint(['pending']),
          ' to review',
        ),
      });
    }
    this.deps.notifier.changed();
    return result.record;
  }

  /**
   * Refuses a node removed here (blocked), or through a domain (a group's removed member, told so):
   * its knock is no request.
   * @throws ClawError('UNKNOWN_PEER', refusal REMOVED)
   */
  private refuseRemoved(fingerprint: string): void {
    const removed = this.isBlocked(fingerprint)
      ? `node ${abbreviateFingerprint(fingerprint)} was removed by ${this.name}`
      : this.deps.refusal?.(fingerprint);
    if (removed !== undefined) throw new ClawError('UNKNOWN_PEER', removed, { refusal: 'REMOVED' });
  }

  onUnknownHello(link: Link, hello: Hello): string {
    // Let in since its link came up (a group's records arrived meanwhile): its next link is a guest's.
    const guest = this.deps.guest?.(link.peerId);
    if (guest !== undefined) return guestLine(this.name, guest);
    // It comes as a guest that this node does not know (yet): a member's device whose group's
    // records are still on their way here. It asks for nothing; the owner is not told.
    if (hello.guest === true) {
      this.refuseRemoved(link.peerId);
      return notAGuestLine(this.name);
    }
    try {
      this.record({
        fingerprint: link.peerId,
        name: hello.name,
        via: 'fingerprint',
        address: link.remote,
        addresses: hello.addresses,
      });
    } catch (err) {
      // A refusal (removed here) or a limit is the other node's to know; a failure to save (a full
      // disk, a path here) is only this owner's: the other node just hears to try again.
      if (refusalOf(err) !== undefined || isClawError(err, 'RELAY_LIMIT')) throw err;
      this.deps.notifier.notice({
        kind: 'pairing',
        message: `${hello.name} (${abbreviateFingerprint(link.peerId)}) asks to pair, but the request could not be recorded: ${errorMessage(err)}`,
      });
      throw new ClawError('INTERNAL', unrecordedLine(this.name));
    }
    return waitingLine(this.name);
  }

  find(ref: PendingRef): PendingRecord {
    const list = this.list();
    if (ref.latest) {
      const found = latestVerified(list);
      if (found) return found;
      if (list.length === 0) throw new ClawError('PEER_NOT_FOUND', 'no pending requests');
      const { message, hint } = commandIn(
        'no code-verified request is pending; --latest picks only those. A request that came with only a fingerprint is named by its id (',
        hereHint(['pending']),
        ' lists them)',
      );
      throw new ClawError('PEER_NOT_FOUND', message, { hint });
    }
    const found = list.find((p) => p.id === ref.id);
    if (!found) {
      const { message, hint } = commandIn(
        `no pending request '${ref.id}'; `,
        hereHint(['pending']),
        ' lists them',
      );
      throw new ClawError('PEER_NOT_FOUND', message, { hint });
    }
    return found;
  }

  /**
   * Approving a fingerprint-only request needs the fingerprint the owner compared: anyone who knows this
   * node's fingerprint can send such a request under any name, so its id alone is not enough. A
   * fingerprint given with any approval, of either kind (`--latest` too), must be the request's: the
   * owner who typed one compared it, and a mismatch means the request is not the node they think.
   */
  private checkConfirmed(req: PendingRecord, confirmed: string | undefined): void {
    const fp = groupFingerprint(req.fingerprint);
    if (confirmed === undefined) {
      if (req.via === 'code') return;
      // The other node's command stays words (`clawbridge id` there): a hint is one command, this one.
      const { message, hint } = commandIn(
        `request ${req.id} (${req.name}) came with only a fingerprint, no pairing code: compare ${fp} with the fingerprint the other node shows (\`clawbridge id\` there), then give the one it shows: `,
        hereHint(['approve', req.id, '--fingerprint', 'FINGERPRINT'], '--fingerprint'),
        '',
      );
      throw new ClawError('BAD_ARGUMENT', message, { hint });
    }
    let given: string;
    try {
      given = parseFingerprint(confirmed);
    } catch (err) {
      throw new ClawError('BAD_FINGERPRINT', (err as Error).message);
    }
    if (given !== req.fingerprint) {
      throw new ClawError(
        'FINGERPRINT_MISMATCH',
        `request ${req.id} has fingerprint ${fp}, not ${groupFingerprint(given)}; nothing was approved`,
      );
    }
  }

  /**
   * Approves a request: its node becomes a peer with `allow` (default: defaultAllowFor). A node
   * that is already a peer here (it removed this node and pairs again) keeps its name here, its
   * permissions unless `allow` is given, and its limits.
   */
  approve(ref: PendingRef, allow?: Permission[]): PeerRecord {
    const req = this.find(ref);
    this.checkConfirmed(req, ref.fingerprint);
    const peer = pairedPeerRecord(
      this.deps.state.peers(),
      req,
      allow,
      defaultAllowFor(req, this.deps.state.vocabulary.permissions),
    );
    this.deps.state.addPeer(peer);
    this.events.emit('decision', { approved: true, record: req, peer });
    this.deps.notifier.changed();
    return peer;
  }

  /**
   * Drops the requests by fingerprint of nodes now let in as guests (call on every change of the
   * guests): a member's device that knocked on a group's device before its records came there is
   * no stranger, and approving its request would give it a peer's words beside the group's. A
   * request by code stays: the owner handed that code out to pair with it.
   */
  dropGuestRequests(): void {
    if (!this.deps.guest) return;
    const guest = (fp: string) => this.deps.guest?.(fp);
    const gone = this.list().filter((r) => r.via === 'fingerprint' && guest(r.fingerprint) !== undefined);
    if (gone.length === 0) return;
    const ids = new Set(gone.map((r) => r.id));
    this.deps.state.dropPendingWhere((r) => ids.has(r.id));
    for (const r of gone)
      this.log.info(
        { id: r.id, fingerprint: r.fingerprint },
        `pending request of ${r.name} dropped: it is let in here (${guest(r.fingerprint)})`,
      );
    this.deps.notifier.changed();
  }

  /**
   * A joiner stopped waiting for the decision (it cancelled, timed out or went away): its code-verified
   * request goes too, so a late approval cannot pair one side only. A request by fingerprint stays.
   */
  withdraw(fingerprint: string): void {
    const req = this.list().find((r) => r.fingerprint === fingerprint && r.via === 'code');
    if (!req) return;
    this.deps.state.dropPending(req.id);
    this.log.info({ id: req.id, fingerprint }, 'pending request withdrawn by the joiner');
    this.deps.notifier.notice({
      kind: 'pairing',
      message: `${req.name} (${abbreviateFingerprint(fingerprint)}) stopped waiting; its request to pair is withdrawn`,
    });
    this.deps.notifier.changed();
  }

  /**
   * At start: code-verified requests saved by an earlier run go. Their joiners waited on a pairing
   * connection that ended with that run (a crash skips withdraw()), so approving one would pair this
   * side only. Requests by fingerprint stay: those nodes ask again by themselves.
   */
  dropOrphanedCodeRequests(): void {
    const orphaned = this.list().filter((r) => r.via === 'code');
    if (orphaned.length === 0) return;
    this.deps.state.dropPendingWhere((r) => r.via === 'code');
    this.log.info({ ids: orphaned.map((r) => r.id) }, 'dropped pairing requests of an earlier run');
  }

  reject(ref: PendingRef): PendingRecord {
    const req = this.find(ref);
    this.deps.state.rejectPending(req.id, req.fingerprint);
    this.events.emit('decision', { approved: false, record: req });
    this.deps.notifier.changed();
    return req;
  }
}
