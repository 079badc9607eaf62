/**
 * Which desktop notifications the agent's events call for (architecture.md §The desktop app and the
 * window): a device asking to pair, a pairing completed, a saved forward that cannot listen, a new
 * message — never path changes or anything else that happens on its own. Pure: the shell
 * feeds every event in and shows what comes out (notification-center.ts), after checking the
 * Settings switch for its kind (and, for a message, that the window is not in sight).
 */
import type { ApiEvents, PairingEvent, PendingInfo, StatusEvent } from '../api/contract.js';
import type { ForwardState } from '../forwards/forwards-contract.js';
import type { InboxMessage } from '../messages/messages-contract.js';
import type { DeviceJoinedEvent } from '../api/contract-mine.js';
import type { WindowPlace } from './window-place.js';

/** A notification to show, and where clicking it takes the window. */
export interface DesktopNotice {
  title: string;
  body: string;
  open: WindowPlace;
  /**
   * `message`: a new message, switched by Settings' "Notify on new messages" (messageNotifications);
   * absent: the rest, switched by "Desktop notifications" (notifications).
   */
  kind?: 'message';
}

/**
 * How long after announcing a peer's message the next ones from it are not announced, in ms (1 min):
 * a program sending a burst (or a `msg send --lines` of 200) is one notification, and the window's
 * unread count tells the rest.
 */
export const ANNOUNCED_MESSAGES_MS = 60_000;

/** Characters of a message's text a notification shows (a system notification shows about two lines). */
export const MESSAGE_PREVIEW_CHARS = 120;

/**
 * How long a request stays announced, in ms (1 min): an issuer's `pending.added` and the `joined`
 * step that follows it describe the same request, and one notification is enough; the same
 * device asking again later is news again.
 */
export const ANNOUNCED_REQUEST_MS = 60_000;

export class NoticeDecider {
  /** Each forward's and proxy's last state, to notice the step into `error` once. */
  private readonly forwardStates = new Map<string, ForwardState>();
  /** How a request came and its fingerprint (`code …`, `fingerprint …`) → when it was announced (epoch ms). */
  private readonly announced = new Map<string, number>();
  /** Fingerprint → when a message from it was last announced (epoch ms). */
  private readonly messagesAnnounced = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The notifications `event` calls for (usually none). */
  decide<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]): DesktopNotice[] {
    switch (event) {
      case 'message':
        return this.message(data as InboxMessage);
      case 'pending.added':
        return this.pendingAdded(data as PendingInfo);
      case 'pairing':
        return this.pairing(data as PairingEvent);
      case 'status':
        return this.forwardErrors(data as StatusEvent);
      case 'device.joined':
        return [deviceJoined(data as DeviceJoinedEvent)];
      default:
        return [];
    }
  }

  /**
   * A request made with this node's code is announced as the code being entered, whichever of the two
   * events that describe it comes first (the agent records the request, `pending.added`, before its
   * pairing step `joined`); one that knew only the fingerprint asks to pair.
   */
  private pendingAdded(p: PendingInfo): DesktopNotice[] {
    if (!this.announce(p.fingerprint, p.via)) return [];
    const open: WindowPlace = { view: 'approvals', request: p.id };
    if (p.via === 'code') return [codeEntered(p.displayName, open)];
    return [
      {
        title: `${p.displayName} wants to pair`,
        body: 'It knows only your fingerprint, not a code — compare fingerprints before approving.',
        open,
      },
    ];
  }

  private pairing(e: PairingEvent): DesktopNotice[] {
    const who = e.peerName ?? 'the other device';
    if (e.step === 'paired') {
      return [
        {
          title: `Paired with ${who}`,
          body: e.role === 'join' ? `${who} approved this device.` : `${who} is now a peer.`,
          open: { view: 'peers' },
        },
      ];
    }
    if (e.step === 'joined' && e.fingerprint !== undefined && this.announce(e.fingerprint, 'code')) {
      return [codeEntered(who, { view: 'approvals', request: e.fingerprint })];
    }
    return [];
  }

  private forwardErrors(status: StatusEvent): DesktopNotice[] {
    const notices: DesktopNotice[] = [];
    const seen = new Set<string>();
    for (const f of [...status.forwards, ...status.proxies]) {
      seen.add(f.name);
      const before = this.forwardStates.get(f.name);
      this.forwardStates.set(f.name, f.state);
      if (f.state !== 'error' || before === 'error') continue;
      notices.push({
        title: `${f.name} cannot listen on ${f.local}`,
        body: f.error ? `${f.error} — it keeps retrying.` : 'It keeps retrying.',
        open: { view: 'forwards' },
      });
    }
    // A removed forward forgets its state, so one added again under the same name starts afresh.
    for (const name of this.forwardStates.keys()) if (!seen.has(name)) this.forwardStates.delete(name);
    return notices;
  }

  /**
   * A message from a peer, unless it answers a program's `msg ask` (a reply goes to that program, not
   * to the owner) or one from the same peer was announced less than ANNOUNCED_MESSAGES_MS ago.
   */
  private message(m: InboxMessage): DesktopNotice[] {
    if (m.replyTo !== undefined) return [];
    const now = this.now();
    const last = this.messagesAnnounced.get(m.from.fingerprint);
    if (last !== undefined && now - last < ANNOUNCED_MESSAGES_MS) return [];
    for (const [fp, at] of this.messagesAnnounced)
      if (now - at >= ANNOUNCED_MESSAGES_MS) this.messagesAnnounced.delete(fp);
    this.messagesAnnounced.set(m.from.fingerprint, now);
    const topic = m.topic === 'default' ? '' : ` (${m.topic})`;
    return [
      {
        kind: 'message',
        title: `Message from ${m.from.name}${topic}`,
        body: m.text !== undefined ? preview(m.text) : 'Binary data — open Messages to see it.',
        open: { view: 'messages', peer: m.from.fingerprint },
      },
    ];
  }

  /**
   * Records a request by its fingerprint and how it came; false when it was already announced so. A
   * node's code after its fingerprint-only request (a dial of its came first) is news: the owner was
   * told only that it knows no code.
   */
  private announce(fingerprint: string, via: PendingInfo['via']): boolean {
    const now = this.now();
    for (const [key, at] of this.announced) if (now - at >= ANNOUNCED_REQUEST_MS) this.announced.delete(key);
    const key = `${via} ${fingerprint}`;
    if (this.announced.has(key)) return false;
    this.announced.set(key, now);
    return true;
  }
}

/** `laptop entered your code`: a device proved it has this node's pairing code and waits for approval. */
function codeEntered(name: string, open: WindowPlace): DesktopNotice {
  return {
    title: `${name} entered your code`,
    body: 'Compare fingerprints on both screens, then approve or reject it.',
    open,
  };
}

/**
 * A message's text for a notification: one line, control and direction-changing characters made
 * spaces (the text is the peer's, and a system notification must not be made to read otherwise), cut
 * at MESSAGE_PREVIEW_CHARS.
 */
export function preview(text: string): string {
  const line = text
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (line === '') return '(empty message)';
  const chars = [...line];
  return chars.length > MESSAGE_PREVIEW_CHARS
    ? `${chars.slice(0, MESSAGE_PREVIEW_CHARS - 1).join('')}…`
    : line;
}

/**
 * One of the owner's devices introduced another here (ADR 0056): worth knowing, since a device the
 * owner did not add would be a compromised one's doing (docs/security.md §My devices).
 */
export function deviceJoined(e: DeviceJoinedEvent): DesktopNotice {
  return {
    title: `${e.name} joined your devices`,
    body: `Introduced by ${e.introducedBy.name}. Not yours? Remove it (peers rm ${e.name}): it goes from all your devices.`,
    open: { view: 'peers' },
  };
}
