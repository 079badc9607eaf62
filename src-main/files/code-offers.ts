/**
 * Files offered with a code to someone who is no peer (ADR 0124; DESIGN §23), the sender's side: an
 * offer issues a one-time code of use `file` through pairing's rendezvous and PAKE (DomainCodes), single
 * use, expiring. The first node that tries the code spends it (one online guess: a wrong one ends the
 * offer). The node that met it — a throwaway identity the PAKE confirmed — is let in as a guest for this
 * one transfer (no words, no service it may open), told `ready` over the sealed rendezvous, and sent the
 * paths with the ordinary FileSender once it dialed back; the guest leaves when the offer ends, so
 * nothing of it is kept as a peer. A receiver whose link drops comes back under the same identity and
 * the transfer carries on from what arrived, until the code's deadline.
 *
 * One owner of the offers' state: this class. Offers live in memory only: an agent that stops ends them.
 */
import type { Logger } from 'pino';
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { isoTime } from '../core/iso-time.js';
import type { DomainCodes, MetCode } from '../links/domain.js';
import { announcedOn } from '../links/local-addresses.js';
import type { ChangeSource, PeerDirectory } from '../links/ports.js';
import type { Guest, GuestSource } from '../services/admission.js';
import {
  FILE_CODE_ADDRESSES_MAX,
  FILE_CODE_NAME_CHARS,
  FILE_CODE_NAMES_MAX,
  FILE_CODE_USE,
  fileCodeLink,
} from '../protocol/file-code-frames.js';
import { relayPageLink } from '../protocol/pair-code.js';
import { FileCodeChannel } from './code-channel.js';
import type { CodeOfferInfo, TransferInfo } from './files-contract.js';
import type { FileSender } from './file-sender.js';
import { walkTree } from './tree-walk.js';

/** Default lifetime of an offer's code, in ms (10 minutes, as a pairing code). */
export const CODE_OFFER_TTL_MS = 10 * 60 * 1000;
/** Most offers open at once on one node (each holds a code and, once taken, a guest). */
export const MAX_OPEN_CODE_OFFERS = 16;
/** Most offers kept after they ended, newest first, for the list. */
const MAX_ENDED_OFFERS = 32;
/**
 * How long a node that met the code has to dial back before the offer ends, in ms (30 s). It dials at
 * once over the relay it met on, so one that has not within this stopped in the meeting's last step
 * (Ctrl-C, a closed page) and, its identity gone with it, never will: the sender is told so then, not
 * when the code expires. A receiver that dialed and dropped is waited for until the deadline (resume).
 */
export const RECEIVER_DIAL_MS = 30_000;

export interface CodeOffersDeps {
  codes: DomainCodes;
  /** Where the guests come from (the registry's GuestList): a taken offer's receiver is one. */
  guests: { admitGuests(source: GuestSource): Disposer };
  sender: Pick<FileSender, 'send' | 'cancel' | 'events'>;
  /** The links, where a receiver that dialed back shows (a guest's entry with an active link). */
  peers: Pick<PeerDirectory, 'peerEntries'> & ChangeSource;
  log: Pick<Logger, 'info' | 'warn'>;
  /**
   * Where this node's direct listener may be dialed, best first (none: direct links are off): the
   * `ready` frame names them, and the receiver dials them before the relay.
   */
  directAddresses?: () => readonly string[];
  now?: () => number;
  /** RECEIVER_DIAL_MS unless a test says otherwise. */
  receiverDialMs?: number;
}

interface Offer {
  info: CodeOfferInfo;
  paths: string[];
  deadline: number;
  timer: NodeJS.Timeout | undefined;
  /** Running from `ready` until the receiver first dialed back (its link active here). */
  dialTimer?: NodeJS.Timeout;
}

const ENDED: ReadonlySet<CodeOfferInfo['state']> = new Set(['done', 'failed', 'cancelled', 'expired']);
const transferEnded = (t: TransferInfo) =>
  t.state === 'done' || t.state === 'failed' || t.state === 'cancelled';

export class CodeOffers {
  /** `changed`: an offer was made, taken, moved on or ended (the `file.codeOffer` event). */
  readonly events = new Emitter<{ changed: [CodeOfferInfo] }>();
  private readonly offers = new Map<string, Offer>();
  private next = 1;
  private readonly now: () => number;
  private readonly guestEvents = new Emitter<{ change: [] }>();
  private readonly offGuests: Disposer;
  private readonly offTransfers: Disposer;
  private readonly offLinks: Disposer;
  private readonly dialMs: number;

  constructor(private readonly deps: CodeOffersDeps) {
    this.now = deps.now ?? Date.now;
    this.dialMs = deps.receiverDialMs ?? RECEIVER_DIAL_MS;
    this.offGuests = deps.guests.admitGuests({
      guests: () => this.guests(),
      onChange: (listener) => this.guestEvents.on('change', listener),
    });
    this.offTransfers = deps.sender.events.on('changed', (t) => this.transferMoved(t));
    this.offLinks = deps.peers.onChanged(() => this.linksMoved());
  }

  /**
   * A new offer of `paths` (absolute; walked now, so a missing one fails at once), its code open for
   * `ttlMs`.
   * @throws ClawError('BAD_ARGUMENT') for nothing to send or too many offers open; pairing's errors for
   *   the code (no relay and no LAN to meet on)
   */
  async offer(paths: readonly string[], ttlMs = CODE_OFFER_TTL_MS): Promise<CodeOfferInfo> {
    const open = [...this.offers.values()].filter((o) => !ENDED.has(o.info.state));
    if (open.length >= MAX_OPEN_CODE_OFFERS)
      throw new ClawError(
        'BAD_ARGUMENT',
        `${MAX_OPEN_CODE_OFFERS} offers are open on this node already: wait for one to end, or cancel one`,
      );
    const walked = await walkTree(paths);
    if (walked.entries.length === 0)
      throw new ClawError(
        'BAD_ARGUMENT',
        `nothing to send in ${paths.join(', ')}${walked.skipped[0] ? ` (${walked.skipped[0].why})` : ''}`,
      );
    const id = String(this.next++);
    const issued = await this.deps.codes.issue(ttlMs, (met) => this.met(id, met), {
      use: FILE_CODE_USE,
      onSpent: () => this.spent(id),
      onFailed: (why) => this.failed(id, why),
    });
    const names = walked.entries.filter((e) => !e.path.includes('/')).map((e) => e.path);
    const link = fileCodeLink(issued.invite);
    const page = pageLink(issued.invite, issued.code);
    const offer: Offer = {
      info: {
        id,
        code: issued.code,
        link,
        ...(page ? { page } : {}),
        expiresAt: issued.expiresAt,
        state: 'open',
        names,
        files: walked.files,
        bytes: walked.bytes,
      },
      paths: [...paths],
      deadline: Date.parse(issued.expiresAt),
      timer: undefined,
    };
    offer.timer = setTimeout(() => this.expire(offer), Math.max(0, offer.deadline - this.now()));
    offer.timer.unref();
    this.offers.set(id, offer);
    this.trim();
    this.changed(offer);
    return { ...offer.info };
  }

  /** The offers open now, then the last ones that ended. */
  list(): CodeOfferInfo[] {
    return [...this.offers.values()].reverse().map((o) => ({ ...o.info }));
  }

  /**
   * Cancels an offer by its id or code: its code is retired, and a transfer under way stops (the
   * receiver is told and removes what arrived).
   * @throws ClawError('BAD_ARGUMENT') when no open offer has that id or code
   */
  cancel(ref: string, why = 'cancelled by the sender'): CodeOfferInfo {
    const offer = this.offers.get(ref) ?? [...this.offers.values()].find((o) => o.info.code === ref);
    if (!offer || ENDED.has(offer.info.state))
      throw new ClawError('BAD_ARGUMENT', `${ref} is no open file offer of this node (ended, or never made)`);
    this.deps.codes.retire(offer.info.code);
    if (offer.info.transfer) this.deps.sender.cancel(offer.info.transfer, why);
    this.end(offer, 'cancelled', why);
    return { ...offer.info };
  }

  /** Ends every offer (the agent is stopping): codes retired, transfers cancelled. */
  stop(): void {
    for (const offer of this.offers.values())
      if (!ENDED.has(offer.info.state)) this.cancel(offer.info.id, 'the sending agent stopped');
    this.offGuests();
    this.offTransfers();
    this.offLinks();
  }

  /** The receivers of the taken offers still under way: let in for their transfer only. */
  private guests(): Guest[] {
    const out: Guest[] = [];
    for (const o of this.offers.values()) {
      const by = o.info.by;
      if (!by || o.info.state !== 'taken') continue;
      out.push({
        fingerprint: by.fingerprint,
        name: by.name,
        allow: [],
        because: [`file offer ${o.info.id}`],
        dial: false,
        services: [],
      });
    }
    return out;
  }

  /** Someone tried the code (pairing burnt it): nobody else can, whatever the PAKE says. */
  private spent(id: string): void {
    const offer = this.offers.get(id);
    if (offer?.info.state !== 'open') return;
    offer.info.state = 'checking';
    this.changed(offer);
  }

  /** The PAKE with the code failed: one guess per code, so the offer ends. */
  private failed(id: string, why: string): void {
    const offer = this.offers.get(id);
    if (!offer || ENDED.has(offer.info.state)) return;
    this.end(
      offer,
      'failed',
      `a wrong code was tried (${why}); one try per code, so the offer ended: send again for a new code`,
    );
  }

  /** The sender's side once a node met the code: it becomes this transfer's guest, then is sent to. */
  private async met(id: string, met: MetCode): Promise<void> {
    const offer = this.offers.get(id);
    const channel = new FileCodeChannel(met.sessionKey, 'sender');
    if (!offer || ENDED.has(offer.info.state)) {
      met.send(channel.seal({ t: 'refused', reason: 'the offer was cancelled' }));
      return;
    }
    const by = { name: met.peer.name, fingerprint: met.peer.fingerprint };
    offer.info.by = { ...by, short: abbreviateFingerprint(by.fingerprint) };
    offer.info.state = 'taken';
    this.guestEvents.emit('change');
    this.changed(offer);
    this.deps.log.info({ offer: id, by: by.fingerprint }, `file offer ${id} taken by ${by.name}`);
    try {
      const view = await this.deps.sender.send(
        { fingerprint: by.fingerprint, record: { name: by.name } },
        offer.paths,
      );
      offer.info.transfer = view.id;
      this.changed(offer);
      const addresses = this.addressesFor(met.via);
      met.send(
        channel.seal({
          t: 'ready',
          names: offer.info.names.slice(0, FILE_CODE_NAMES_MAX).map((n) => n.slice(0, FILE_CODE_NAME_CHARS)),
          files: offer.info.files,
          bytes: offer.info.bytes,
          ...(addresses.length > 0 ? { addresses } : {}),
        }),
      );
      if (!ENDED.has(offer.info.state)) {
        offer.dialTimer = setTimeout(() => this.neverDialed(offer), this.dialMs);
        offer.dialTimer.unref();
      }
      this.transferMoved(view);
    } catch (err) {
      const why = errorMessage(err);
      met.send(channel.seal({ t: 'refused', reason: why.slice(0, 300) }));
      this.end(offer, 'failed', why);
    }
  }

  /**
   * The direct addresses a receiver that met the code `via` (`relay <url>`, `lan`, an address) is told:
   * as a peer's hello over that relay names them (links/local-addresses.ts announcedOn: loopback only
   * to a receiver that reaches the relay on loopback, so on this machine).
   */
  private addressesFor(via: string): string[] {
    const all = this.deps.directAddresses?.() ?? [];
    const relayUrl = via.startsWith('relay ') ? via.slice('relay '.length) : undefined;
    const told = relayUrl ? announcedOn({ path: 'relay', remote: relayUrl }, all) : [...all];
    return told.slice(0, FILE_CODE_ADDRESSES_MAX);
  }

  /** A transfer moved on: its offer follows it, and ends with it. */
  private transferMoved(t: TransferInfo): void {
    const offer = [...this.offers.values()].find((o) => o.info.transfer === t.id);
    if (!offer || ENDED.has(offer.info.state)) return;
    offer.info.progress = { ...t, peer: { ...t.peer }, names: [...t.names] };
    if (transferEnded(t)) {
      if (t.state === 'failed') this.deps.sender.cancel(t.id, t.why ?? 'failed');
      return this.end(
        offer,
        t.state === 'done' ? 'done' : t.state === 'failed' ? 'failed' : 'cancelled',
        t.why,
      );
    }
    // Past the code's deadline a receiver that went away is not waited for again.
    if (t.state === 'waiting' && this.now() >= offer.deadline) return this.expireTaken(offer);
    this.changed(offer);
  }

  private expire(offer: Offer): void {
    offer.timer = undefined;
    if (offer.info.state === 'open' || offer.info.state === 'checking') {
      this.deps.codes.retire(offer.info.code);
      return this.end(offer, 'expired', 'nobody took the code before it expired: send again for a new code');
    }
    if (offer.info.state === 'taken') this.expireTaken(offer);
  }

  /** The links changed: a taken offer whose receiver has a link here now was dialed back. */
  private linksMoved(): void {
    for (const offer of this.offers.values()) {
      if (offer.dialTimer && this.dialedBack(offer)) {
        clearTimeout(offer.dialTimer);
        offer.dialTimer = undefined;
      }
    }
  }

  private dialedBack(offer: Offer): boolean {
    const fp = offer.info.by?.fingerprint;
    return this.deps.peers.peerEntries().some((e) => e.fingerprint === fp && Boolean(e.links.active));
  }

  /** The node that met the code did not dial back within RECEIVER_DIAL_MS: it is gone for good. */
  private neverDialed(offer: Offer): void {
    offer.dialTimer = undefined;
    if (offer.info.state !== 'taken' || this.dialedBack(offer)) return;
    const why = `${offer.info.by?.name ?? 'the receiver'} met the code but did not connect within ${Math.round(this.dialMs / 1000)} s (stopped before its transfer began): send again for a new code`;
    if (offer.info.transfer) this.deps.sender.cancel(offer.info.transfer, why);
    this.end(offer, 'failed', why);
  }

  /** A taken offer past its deadline: a transfer still moving runs on; one waiting for its receiver ends. */
  private expireTaken(offer: Offer): void {
    const transfer = offer.info.transfer;
    if (!transfer || offer.info.progress?.state !== 'waiting') return;
    const why = 'the receiver went away and did not come back before the code expired';
    this.deps.sender.cancel(transfer, why);
    this.end(offer, 'expired', why);
  }

  private end(offer: Offer, state: CodeOfferInfo['state'], why?: string): void {
    if (offer.timer) clearTimeout(offer.timer);
    offer.timer = undefined;
    clearTimeout(offer.dialTimer);
    const wasGuest = offer.info.state === 'taken';
    offer.info.state = state;
    offer.info.endedAt = isoTime(this.now());
    if (why) offer.info.why = why;
    else delete offer.info.why;
    if (wasGuest) this.guestEvents.emit('change');
    this.changed(offer);
  }

  private changed(offer: Offer): void {
    this.events.emit('changed', { ...offer.info });
  }

  /** Ended offers beyond MAX_ENDED_OFFERS go, oldest first. */
  private trim(): void {
    const ended = [...this.offers.values()].filter((o) => ENDED.has(o.info.state));
    for (const o of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_OFFERS)))
      this.offers.delete(o.info.id);
  }
}

/**
 * The relay page where a browser takes the code (`http(s)://relay/#receive=CODE`: the fragment never
 * reaches the relay), from the invite's relay; undefined for a code met on the LAN only.
 */
export function pageLink(invite: string, code: string): string | undefined {
  return relayPageLink(invite, code, 'receive');
}
