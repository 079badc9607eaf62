/**
 * Quiet lanes for direct links (docs/adr/0042-quiet-lane.md, mux/quiet-lane.ts). The side that accepted
 * a direct link hands out a token in its hello; the side that dialed it, when it knows lanes, dials the
 * same address again naming the token (transport/lane-token.ts), and both muxes add that connection as
 * the link's quiet lane. A peer that does not know lanes ignores the token, and the offer expires.
 */
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import type { Mux } from '../mux/mux.js';
import { dialDirect } from '../transport/direct.js';
import { newLaneToken } from '../transport/lane-token.js';
import type { Link } from '../transport/link.js';

/** How long a token in a hello waits for its lane, in ms (30 s: a dial takes at most 5). */
export const LANE_OFFER_MS = 30_000;

interface Offer {
  mux: Mux;
  peerId: string;
  timer: NodeJS.Timeout;
}

export interface QuietLaneDeps {
  identity: Identity;
  log: Logger;
}

export class QuietLanes {
  private readonly offers = new Map<string, Offer>();
  /** Links whose lane this node dials or dialed: a peer's second hello offering one is ignored. */
  private readonly dialed = new WeakSet<Mux>();

  constructor(private readonly deps: QuietLaneDeps) {}

  /**
   * The token to put in the hello on `link`: only a direct link the peer dialed offers a lane (the
   * dialer knows an address of ours that works; a relay or a route has no second connection to give).
   */
  offer(link: Link, mux: Mux): string | undefined {
    if (link.path !== 'direct' || link.initiator) return undefined;
    const token = newLaneToken();
    const timer = setTimeout(() => this.offers.delete(token), LANE_OFFER_MS);
    timer.unref();
    this.offers.set(token, { mux, peerId: link.peerId, timer });
    mux.on('close', () => this.drop(token));
    return token;
  }

  /** A connection from the listener that names `token`: it becomes that link's lane, or is closed. */
  join(token: string, lane: Link): void {
    const offer = this.offers.get(token);
    // A token is no secret (the server name is sent in the clear): another node naming it is turned
    // away without using the offer up.
    if (!offer || offer.peerId !== lane.peerId || offer.mux.closed) {
      return lane.close('no link offers this quiet lane');
    }
    this.drop(token);
    this.add(offer.mux, lane);
  }

  /** The peer's hello on a link this node dialed offered a lane: dial it (failures only cost the lane). */
  dial(link: Link, mux: Mux, token: string): void {
    if (link.path !== 'direct' || !link.initiator || this.dialed.has(mux)) return;
    this.dialed.add(mux);
    const peer = link.peerId.slice(0, 8);
    dialDirect({
      identity: this.deps.identity,
      address: link.remote,
      expectedPeer: link.peerId,
      lane: token,
    }).then(
      (lane) => {
        if (mux.closed) return lane.close('the link closed while its quiet lane was dialed');
        this.add(mux, lane);
      },
      (err: Error) =>
        this.deps.log.debug({ peer, err: err.message }, 'quiet lane not opened; terminals share the link'),
    );
  }

  private add(mux: Mux, lane: Link): void {
    try {
      mux.addLane(lane); // closes the lane itself when the link is closed or has one already
    } catch (err) {
      this.deps.log.debug(
        { peer: lane.peerId.slice(0, 8), err: (err as Error).message },
        'quiet lane refused',
      );
      return;
    }
    this.deps.log.debug({ peer: lane.peerId.slice(0, 8), remote: lane.remote }, 'quiet lane up');
  }

  private drop(token: string): void {
    const offer = this.offers.get(token);
    if (!offer) return;
    clearTimeout(offer.timer);
    this.offers.delete(token);
  }
}
