/**
 * Which desktop notifications the agent's events call for (architecture.md §The desktop app and the
 * window): a device asking to pair, a pairing completed, a saved forward that cannot listen — never
 * path changes or anything else that happens on its own. Pure: the shell feeds every event in and
 * shows what comes out (notification-center.ts), after checking the Settings switch.
 */
import type { ApiEvents, ForwardState, PairingEvent, PendingInfo, StatusEvent } from '../api/contract.js';
import type { WindowPlace } from './window-place.js';

/** A notification to show, and where clicking it takes the window. */
export interface DesktopNotice {
  title: string;
  body: string;
  open: WindowPlace;
}

/**
 * How long a request stays announced, in ms (1 min): an issuer's `pending.added` and the `joined`
 * step that follows it describe the same request, and one notification is enough; the same
 * device asking again later is news again.
 */
export const ANNOUNCED_REQUEST_MS = 60_000;

export class NoticeDecider {
  /** Each forward's and proxy's last state, to notice the step into `error` once. */
  private readonly forwardStates = new Map<string, ForwardState>();
  /** Fingerprint → when its request was announced (epoch ms). */
  private readonly announced = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The notifications `event` calls for (usually none). */
  decide<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]): DesktopNotice[] {
    switch (event) {
      case 'pending.added':
        return this.pendingAdded(data as PendingInfo);
      case 'pairing':
        return this.pairing(data as PairingEvent);
      case 'status':
        return this.forwardErrors(data as StatusEvent);
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
    if (!this.announce(p.fingerprint)) return [];
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
    if (e.step === 'joined' && e.fingerprint !== undefined && this.announce(e.fingerprint)) {
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

  /** Records a request's fingerprint; false when it was already announced. */
  private announce(fingerprint: string): boolean {
    const now = this.now();
    for (const [fp, at] of this.announced) if (now - at >= ANNOUNCED_REQUEST_MS) this.announced.delete(fp);
    if (this.announced.has(fingerprint)) return false;
    this.announced.set(fingerprint, now);
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
