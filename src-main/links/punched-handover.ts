/**
 * Upgrade in place (docs/adr/0081-direct-across-nats.md §Upgrade in place): once a punched direct link
 * has proven itself (the peer accepted our hello on it and a ping came back over it), the relay link
 * beside it is closed. Its resumable streams then resume over the direct link from what the peer
 * consumed (ADR 0023: the opener reattaches on the peer's active path, which is direct now), new
 * streams already went direct, and the relay stops carrying a pair that no longer needs it.
 *
 * While the punched link is up the relay path is not redialed, on either side: both ends attached the
 * punched link themselves (traversal.ts), so both know what it is without a word on the wire. When it
 * goes down the relay path is dialed at once, and traversal starts over on the new relay link. A direct
 * link dialed the ordinary way keeps the relay beside it as a warm standby (peer-links.ts): only one
 * side would know it came from a port mapping, and a relay one side drops the other would redial.
 */
import type { Mux } from '../mux/mux.js';
import type { Link } from '../transport/link.js';
import type { PeerEntry } from './peer-entry.js';

export interface PunchedHandoverDeps {
  log: { info(obj: object, msg: string): void };
  changed(): void;
}

export class PunchedHandover {
  /** Direct links a simultaneous open made. */
  private readonly punched = new WeakSet<Link>();

  constructor(private readonly deps: PunchedHandoverDeps) {}

  /** `link` came from a simultaneous open (before it is attached). */
  mark(link: Link): void {
    this.punched.add(link);
  }

  /** The relay path rests: the pair's direct link is a punched one and still open. */
  holdsRelay(entry: PeerEntry): boolean {
    const direct = entry.links.get('direct');
    return direct !== undefined && !direct.link.closed && this.punched.has(direct.link);
  }

  /**
   * The peer accepted our hello on `link`: when it is punched, a ping round trip over it shows the
   * path carries frames both ways, then the relay link is closed (its streams move, see above).
   */
  confirmed(entry: PeerEntry, link: Link, mux: Mux): void {
    if (!this.punched.has(link)) return;
    mux.ping().then(
      () => {
        if (entry.links.get('direct')?.mux !== mux || link.closed) return;
        const relay = entry.links.get('relay');
        if (!relay) return;
        this.deps.log.info({ peer: entry.record.name }, 'relay link closed: the pair is direct');
        relay.mux.close('the pair moved to a direct link');
        this.deps.changed();
      },
      () => undefined,
    );
  }

  /** A direct link went down: when it was punched, the relay path is dialed again now. */
  lost(entry: PeerEntry, link: Link): void {
    if (this.punched.has(link)) entry.relay.kick();
  }
}
