/**
 * A throwaway node's link to the node its code's PAKE let it in to, as that node's guest (ADR 0124
 * decision 3; docs/adr/0123-shared-terminals.md §Link): pinned TLS to one of the host's direct
 * addresses when it named any and one answers, else a circuit through the relay they met on (raced,
 * the direct ones a quarter second ahead: guestLink), the E2E handshake pinned to the fingerprint the
 * PAKE proved, a mux with an agent's heartbeats (a dead link is noticed and dialed again by the
 * caller), and a hello whose guest flag says it is no request to pair. The host's control stream is
 * held, its hello moving a relay link onto a splice through the relay when both can (ADR 0013);
 * every other stream the host opens is the caller's.
 */
import { CONTROL_SERVICE, ownHello, parseHello } from './control-service.js';
import { FEATURE_SPLICE, type RelaySplicer } from './relay-splice.js';
import type { Identity } from '../crypto/identity.js';
import { Mux, type StreamRequest } from '../mux/mux.js';
import { raceStaggered } from '../core/staggered-race.js';
import { refusalOf } from '../core/errors.js';
import { dialDirect } from '../transport/direct.js';
import { secureCircuit } from '../transport/e2e-link.js';
import type { Link } from '../transport/link.js';
import type { RelayClient } from '../transport/relay-client.js';
import { UpgradableLink } from '../transport/upgradable-link.js';

/** Heartbeats on a guest's link, in ms: as an agent's links (a dead one is dialed again). */
const HEARTBEAT_MS = 5_000;
const DEAD_AFTER_MS = 15_000;
/** How long one dial of the host through the relay may take, in ms. */
export const GUEST_DIAL_TIMEOUT_MS = 15_000;
/**
 * How long one direct dial of the host may take, in ms: shorter than an agent's (a LAN answers in
 * milliseconds), as the relay is tried meanwhile anyway and a dial that never answers is only held.
 */
const DIRECT_DIAL_TIMEOUT_MS = 3_000;

export interface GuestDialOptions {
  relay: Pick<RelayClient, 'openCircuit'>;
  identity: Identity;
  /** The name this node's hello gives (the host shows it beside its fingerprint). */
  name: string;
  /** The host's fingerprint, as the PAKE proved it. */
  host: string;
  /**
   * Where the host may be dialed directly, best first (its offer's hints: the link proves who
   * answers); none: through the relay only.
   */
  addresses?: readonly string[];
  splicer: RelaySplicer;
  /** A stream the host opened here, other than its control stream. */
  onStream(req: StreamRequest): void;
  /** True once the caller wants no link any more: one that came up meanwhile is closed. */
  stopped(): boolean;
}

/** A guest's link up: its mux, its path, and its hello, which rejects when the host refuses this node. */
export interface GuestLink {
  mux: Mux;
  /** `direct` to one of the host's addresses, or `relay`. */
  path: 'direct' | 'relay';
  /** The address it was dialed at, or the relay's URL. */
  remote: string;
  hello: Promise<void>;
}

/** The two ways to the host the race tries: its direct addresses (in turn), then the relay. */
const DIRECTLY = Symbol('direct');
const THROUGH_RELAY = Symbol('relay');

/** What the race needs of a link: a way to close the ones that lost. */
interface Closable {
  close(reason: string): void;
}

/**
 * Between two of the host's direct addresses, in ms: RFC 8305's least Connection Attempt Delay. A LAN
 * answers well within it, so a host reachable at several addresses (one machine, a multi-homed LAN)
 * gets one link, not one per address that the two ends might each keep a different one of.
 */
export const DIRECT_ATTEMPT_DELAY_MS = 100;

/**
 * The first link to the host of those `dial` and `relayed` make: its direct addresses in turn,
 * DIRECT_ATTEMPT_DELAY_MS apart, and the relay ATTEMPT_DELAY_MS after the first of them, however many
 * there are, or at once when they all failed (core/staggered-race.ts); the first link up wins and the
 * others are closed as they come. The relay does not wait for the addresses' turns: a host on another
 * network names addresses that may go unanswered here (its LAN's, a container bridge's), and the
 * relay's quarter second is then all a host across the Internet costs. When all fail, the host's
 * refusal if one said no, else the relay's error: the relay is the path that should always work, so
 * its failure is the one to tell.
 */
export async function firstGuestLink<L extends Closable>(ways: {
  addresses: readonly string[];
  dial(address: string): Promise<L>;
  relayed(): Promise<L>;
}): Promise<L> {
  const discard = (slower: L) => slower.close('duplicate');
  const direct = async (): Promise<L> =>
    (await raceStaggered(ways.addresses, (address) => ways.dial(address), discard, DIRECT_ATTEMPT_DELAY_MS))
      .value;
  try {
    const won = await raceStaggered(
      ways.addresses.length > 0 ? [DIRECTLY, THROUGH_RELAY] : [THROUGH_RELAY],
      (way) => (way === DIRECTLY ? direct() : ways.relayed()),
      discard,
    );
    return won.value;
  } catch (err) {
    // The direct addresses' failures come as one AggregateError of their own.
    const errors = ((err as AggregateError).errors as Error[]).flatMap((e) =>
      e instanceof AggregateError ? (e.errors as Error[]) : [e],
    );
    throw errors.find((e) => refusalOf(e) !== undefined) ?? errors.at(-1) ?? (err as Error);
  }
}

/** The link to the host (firstGuestLink): pinned TLS to its addresses, or an E2E circuit through the relay. */
function guestLink(opts: GuestDialOptions): Promise<Link> {
  return firstGuestLink<Link>({
    addresses: opts.addresses ?? [],
    dial: (address) =>
      dialDirect({
        identity: opts.identity,
        address,
        expectedPeer: opts.host,
        timeoutMs: DIRECT_DIAL_TIMEOUT_MS,
      }),
    relayed: async () =>
      new UpgradableLink(
        await secureCircuit(await opts.relay.openCircuit(opts.host, GUEST_DIAL_TIMEOUT_MS), {
          identity: opts.identity,
          expectedPeer: opts.host,
          timeoutMs: GUEST_DIAL_TIMEOUT_MS,
        }),
      ),
  });
}

/**
 * Dials `opts.host` as its guest (guestLink); undefined when the caller stopped meanwhile.
 * @throws the circuit's and the handshake's errors (a host that refuses this node at once: its refusal)
 */
export async function dialGuest(opts: GuestDialOptions): Promise<GuestLink | undefined> {
  const link = await guestLink(opts);
  if (opts.stopped()) {
    link.close('no longer wanted');
    return undefined;
  }
  const mux: Mux = new Mux(link, {
    heartbeatMs: HEARTBEAT_MS,
    deadAfterMs: DEAD_AFTER_MS,
    onStream: (req) => {
      if (req.service !== CONTROL_SERVICE) return opts.onStream(req);
      let features: string[] | undefined;
      try {
        features = parseHello(req.args).features;
      } catch {
        // A hello this node cannot read moves nothing: the link stays as it is.
      }
      const control = req.accept();
      control.on('error', () => undefined);
      control.resume();
      opts.splicer.onPeerHello(link, mux, features);
    },
  });
  // Of the features only splices: a guest answers no traversal or terminal, so the host asks for none.
  const hello = mux
    .open(CONTROL_SERVICE, {
      ...ownHello(opts.name, [], undefined, undefined, true),
      features: [FEATURE_SPLICE],
    })
    .then((control) => {
      control.on('error', () => undefined);
      control.resume();
    });
  return { mux, path: link.path === 'direct' ? 'direct' : 'relay', remote: link.remote, hello };
}
