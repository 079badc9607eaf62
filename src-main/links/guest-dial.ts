/**
 * A throwaway node's link to the node its code's PAKE let it in to, as that node's guest (ADR 0124
 * decision 3; docs/adr/0123-shared-terminals.md §Link): a circuit through the relay they met on, the
 * E2E handshake pinned to the fingerprint the PAKE proved, a mux with an agent's heartbeats (a dead
 * link is noticed and dialed again by the caller), and a hello whose guest flag says it is no request
 * to pair. The host's control stream is held, its hello moving the link onto a splice through the
 * relay when both can (ADR 0013); every other stream the host opens is the caller's.
 */
import { CONTROL_SERVICE, ownHello, parseHello } from './control-service.js';
import { FEATURE_SPLICE, type RelaySplicer } from './relay-splice.js';
import type { Identity } from '../crypto/identity.js';
import { Mux, type StreamRequest } from '../mux/mux.js';
import { secureCircuit } from '../transport/e2e-link.js';
import type { RelayClient } from '../transport/relay-client.js';
import { UpgradableLink } from '../transport/upgradable-link.js';

/** Heartbeats on a guest's link, in ms: as an agent's links (a dead one is dialed again). */
const HEARTBEAT_MS = 5_000;
const DEAD_AFTER_MS = 15_000;
/** How long one dial of the host may take, in ms. */
export const GUEST_DIAL_TIMEOUT_MS = 15_000;

export interface GuestDialOptions {
  relay: Pick<RelayClient, 'openCircuit'>;
  identity: Identity;
  /** The name this node's hello gives (the host shows it beside its fingerprint). */
  name: string;
  /** The host's fingerprint, as the PAKE proved it. */
  host: string;
  splicer: RelaySplicer;
  /** A stream the host opened here, other than its control stream. */
  onStream(req: StreamRequest): void;
  /** True once the caller wants no link any more: one that came up meanwhile is closed. */
  stopped(): boolean;
}

/** A guest's link up: its mux, and its hello, which rejects when the host refuses this node. */
export interface GuestLink {
  mux: Mux;
  hello: Promise<void>;
}

/**
 * Dials `opts.host` through `opts.relay` as its guest; undefined when the caller stopped meanwhile.
 * @throws the circuit's and the handshake's errors (a host that refuses this node at once: its refusal)
 */
export async function dialGuest(opts: GuestDialOptions): Promise<GuestLink | undefined> {
  const circuit = await opts.relay.openCircuit(opts.host, GUEST_DIAL_TIMEOUT_MS);
  const link = new UpgradableLink(
    await secureCircuit(circuit, {
      identity: opts.identity,
      expectedPeer: opts.host,
      timeoutMs: GUEST_DIAL_TIMEOUT_MS,
    }),
  );
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
  return { mux, hello };
}
