/**
 * The control stream each link starts with, both ways (control-service.ts): this node's hello and the
 * grants it sends on its own stream (again on every change of what the peer may do here), and the
 * peer's hello and grants on the stream it opens. A hello says where the peer listens, its home relay,
 * its features and its quiet lane; what it says is an observation, never a write of config.json.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { refusalOf } from '../core/errors.js';
import type { Mux, StreamRequest } from '../mux/mux.js';
import type { Relays } from '../relay-clients/relays.js';
import { seenAddresses } from '../state/address-book.js';
import type { Notifier } from '../state/notices.js';
import type { ObservedSource, Observations } from '../state/observations.js';
import type { Link } from '../transport/link.js';
import { readGrants, sameGrants, sendGrants } from '../trust/grants-channel.js';
import type { GrantWords } from '../trust/grants-message.js';
import { announcedHomeRelay, CONTROL_SERVICE, ownHello, parseHello, type Hello } from './control-service.js';
import { announcedOn } from './local-addresses.js';
import type { PeerEntry } from './peer-entry.js';
import type { QuietLanes } from './quiet-lanes.js';
import type { RelaySplicer } from './relay-splice.js';

/** This node on its network, as links see it: where it listens and whether direct dialing is on. */
export interface LocalNetworkView {
  directAddresses(): string[];
  readonly listenAddress: string | null;
}

export interface LinkControlDeps {
  log: Logger;
  observations: Pick<Observations, 'hearHomeRelay'>;
  notices: Pick<Notifier, 'changed'>;
  local: LocalNetworkView;
  relays: Pick<Relays, 'saved'>;
  lanes: QuietLanes;
  splicer: RelaySplicer;
  /** This node's name, as its hello gives it. */
  name(): string;
  learnAddresses(entry: PeerEntry, addresses: string[], source: ObservedSource): void;
  /** True for a node this one reaches as a guest (no peer of its; a domain says it lets this node in). */
  asGuest(fingerprint: string): boolean;
  /** The peer said hello on `link`: a relay link may start its traversal now. */
  helloHeard(entry: PeerEntry, link: Link, mux: Mux): void;
  /** The permission words grants are written and read with: this node's (api/vocabulary.ts). */
  readonly words: GrantWords;
}

/**
 * Control streams live as long as their link; when the link dies they error with its reason, which the
 * mux's 'close' event already reports, so the stream error itself needs no handling beyond not crashing.
 */
function holdControlStream(stream: Duplex): void {
  stream.on('error', () => undefined);
  stream.resume();
}

export class LinkControl {
  /** The control stream this node opened on each link: where its grants to the peer go. */
  private readonly ownControl = new WeakMap<Mux, Duplex>();

  constructor(private readonly deps: LinkControlDeps) {}

  /**
   * Says hello on a new link; once the peer accepts it, sends the grants and calls `accepted`. A
   * refusal is kept on the entry for `ping` and `peers` (peer-state.ts).
   */
  sayHello(entry: PeerEntry, link: Link, mux: Mux, accepted: () => void): void {
    const { log, notices } = this.deps;
    void mux
      .open(
        CONTROL_SERVICE,
        ownHello(
          this.deps.name(),
          announcedOn(link, this.deps.local.directAddresses()),
          this.deps.relays.saved()[0],
          this.deps.lanes.offer(link, mux),
          this.deps.asGuest(entry.fingerprint),
        ),
      )
      .then(
        (stream) => {
          entry.refusal = undefined;
          holdControlStream(stream);
          // The peer accepted us: tell it what it may do here (and again on every change).
          this.ownControl.set(mux, stream);
          sendGrants(stream, entry.record.allow, this.deps.words);
          accepted();
        },
        (err: Error) => {
          // Only an answer is a refusal; a link that dropped while we said hello is just gone.
          const code = refusalOf(err);
          if (code === undefined) return;
          // The peer has not approved us (yet): remember its answer for `ping` and `peers` (peer-state.ts).
          entry.refusal = { code, message: err.message, at: Date.now() };
          log.info({ peer: entry.record.name }, `peer refused our hello: ${err.message}`);
          notices.changed();
        },
      );
  }

  /** The peer's control stream on `link`: its hello, then the grants it sends there. */
  accept(entry: PeerEntry, link: Link, mux: Mux, req: StreamRequest): void {
    const { log, notices } = this.deps;
    try {
      const hello = parseHello(req.args);
      this.heard(entry, hello, link);
      if (hello.lane !== undefined) this.deps.lanes.dial(link, mux, hello.lane);
      const control = req.accept();
      holdControlStream(control);
      readGrants(
        control,
        entry.record.name,
        log,
        (allow) => {
          if (sameGrants(entry.theyAllow, allow)) return;
          entry.theyAllow = allow;
          notices.changed();
        },
        this.deps.words,
      );
      this.deps.splicer.onPeerHello(link, mux, hello.features);
      this.deps.helloHeard(entry, link, mux);
    } catch (err) {
      req.reject('BAD_REQUEST', (err as Error).message);
    }
  }

  /** Tells the peer, on each of its links, what it may do here now (docs/protocol.md §Grants). */
  tellGrants(entry: PeerEntry): void {
    for (const path of ['direct', 'relay', 'route'] as const) {
      const mux = entry.links.get(path)?.mux;
      const stream = mux && this.ownControl.get(mux);
      if (stream) sendGrants(stream, entry.record.allow, this.deps.words);
    }
  }

  private heard(entry: PeerEntry, hello: Hello, link: Link): void {
    entry.directOffThere = hello.addresses.length === 0;
    entry.features = hello.features ?? [];
    this.deps.learnAddresses(entry, hello.addresses, 'hello');
    // A peer that dialed here directly came from an address a router may forward its port at.
    if (link.path === 'direct' && !link.initiator) {
      this.deps.learnAddresses(entry, seenAddresses(link.remote, hello.addresses), 'seen');
    }
    // Where the peer lives now is an observation (observations.ts), never a write of config.json.
    const home = announcedHomeRelay(hello);
    if (home && this.deps.observations.hearHomeRelay(entry.fingerprint, home)) {
      // New: try the relay path there now, not after the backoff.
      entry.relay.kick();
      this.deps.notices.changed();
    }
  }
}
