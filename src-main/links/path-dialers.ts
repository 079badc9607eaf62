/**
 * One attempt at each path to a peer (architecture.md §Links and paths), and the receiving side of relay circuits. The agent's
 * PathRetriers call these; PeerLinks decides which of the resulting links carries traffic.
 */
import type { Refusal } from '../core/refusal-codes.js';
import { sameRelayUrl } from '../core/relay-url.js';
import { ClawError, refusalOf } from '../core/errors.js';
import { DialFailure, observeDirect, observeRelay } from '../reachability/observation.js';
import type { Identity } from '../crypto/identity.js';
import type { Circuit } from '../transport/circuit.js';
import { dialDirect } from '../transport/direct.js';
import { secureCircuit } from '../transport/e2e-link.js';
import { HeldCircuit } from '../transport/frame-queue.js';
import type { Link } from '../transport/link.js';
import { UpgradableLink } from '../transport/upgradable-link.js';
import type { RelayClient } from '../transport/relay-client.js';
import { isPairHello, type PairingSource } from '../protocol/pairing-wire.js';
import type { LoggerPort, NodeIdentityPort } from './ports.js';
import type { PeerRecord } from '../state/settings.js';
import { dialOrder } from '../state/address-book.js';
import { raceStaggered } from '../core/staggered-race.js';

/** How long one relay circuit + E2E handshake may take, in ms. */
export const RELAY_LINK_TIMEOUT_MS = 10_000;

/** What the receiving side of a relay circuit uses of the agent (architecture.md §Rules the code keeps). */
export interface RelayCircuitDeps extends Pick<NodeIdentityPort, 'identity'>, LoggerPort {
  /** Why a node may not link (a code and a reason), or undefined to let it in. */
  admit(fingerprint: string): Refusal | undefined;
  /** Puts an authenticated link to work. */
  attach(link: Link): void;
  /**
   * Who takes a pairing circuit (pairing-issuer.ts CodeIssuer), named here as a port: pairing sits
   * above links (docs/architecture.md §Layers), so links may not import it.
   */
  readonly pairing: {
    acceptPairing(
      circuit: HeldCircuit,
      hello: Uint8Array,
      from: PairingSource,
      addresses?: string[],
    ): Promise<void>;
  };
}

/**
 * Dials every known address of the peer, best first and staggered as happy eyeballs does
 * (address-book.ts dialOrder, core/staggered-race.ts); the first pinned TLS link wins, and `worked` is
 * told which address it was. Each failure says what it saw at its address (refused, timed out, another
 * certificate).
 */
export async function dialDirectPath(
  identity: Identity,
  peer: PeerRecord,
  worked: (address: string) => void = () => undefined,
): Promise<Link | undefined> {
  const order = dialOrder(peer.addresses);
  if (order.length === 0) return undefined;
  const won = await raceStaggered(
    order,
    (address) =>
      dialDirect({ identity, address, expectedPeer: peer.fingerprint }).catch((err: unknown) => {
        throw new DialFailure(observeDirect(address, err), err);
      }),
    (slower) => slower.close('duplicate'),
  ).catch((err: AggregateError) => {
    throw reportedDialError(err.errors as Error[]);
  });
  try {
    worked(order[won.index]!);
  } catch {
    // Only a hint of which address to try first next time: the link that won is what counts, and a
    // throw here would leave it neither returned nor closed.
  }
  return won.value;
}

/**
 * Which of the failed dials to all of a peer's addresses speaks for them: a refusal (the peer answered,
 * and said no: REMOVED, NOT_APPROVED), else the best address's failure (errors come in dial order, best
 * first: an old port failing says little). Before, the oldest address's error won, and a peer that
 * had removed this node read as offline behind a port it left long ago.
 */
export function reportedDialError(errors: readonly Error[]): Error {
  return errors.find((e) => refusalOf(e) !== undefined) ?? errors[0] ?? new Error('no address to dial');
}

/**
 * The relays a relay path can use: those this node is on, and a peer's home relay on demand
 * (relay-set.ts).
 */
export interface RelayDialer {
  list(): RelayClient[];
  acquire(url: string, pinnedFingerprint?: string, token?: string): RelayClient;
}

/** A circuit to the peer through `relay`, then the E2E handshake pinned to it. */
async function linkThrough(identity: Identity, relay: RelayClient, fingerprint: string): Promise<Link> {
  const circuit = await relay.openCircuit(fingerprint, RELAY_LINK_TIMEOUT_MS);
  const link = await secureCircuit(circuit, {
    identity,
    expectedPeer: fingerprint,
    timeoutMs: RELAY_LINK_TIMEOUT_MS,
  });
  // Upgradable: the link may move to a splice through the same relay (links/relay-splice.ts).
  return new UpgradableLink(link);
}

/**
 * Tries each connected relay this node is on, in turn; when none reaches the peer, its home relay
 * (docs/relay-protocol.md §Home relays), dialed on demand and pinned to what the peer announced. The
 * peer does the same the other way, so whichever side gets through first makes the link.
 */
export async function dialRelayPath(
  identity: Identity,
  relays: RelayDialer,
  peer: Pick<PeerRecord, 'fingerprint' | 'homeRelay'>,
): Promise<Link | undefined> {
  let lastError: DialFailure | undefined;
  const connected = relays.list().filter((r) => r.state === 'connected');
  // Each failure says what it saw at its relay (relay down, peer not there, refused). "Not there" is
  // reported only when no relay saw anything else: the path rests on it (peer-entry.ts, ADR 0074).
  const keep = (failure: DialFailure) => {
    if (!lastError || failure.observed.kind !== 'not-on-relay') lastError = failure;
  };
  for (const relay of connected) {
    try {
      return await linkThrough(identity, relay, peer.fingerprint);
    } catch (err) {
      keep(new DialFailure(observeRelay(relay.url, err), err));
    }
  }
  const home = peer.homeRelay;
  if (home && !connected.some((r) => sameRelayUrl(r.url, home.url))) {
    try {
      const relay = relays.acquire(home.url, home.fingerprint, home.token);
      // The same relay under another URL (the pin says so) was tried above if it is connected.
      if (!connected.includes(relay)) return await linkThrough(identity, relay, peer.fingerprint);
    } catch (err) {
      keep(new DialFailure(observeRelay(home.url, err), err));
    }
  }
  if (lastError) throw lastError;
  return undefined;
}

/** An incoming relay circuit speaks either the E2E link handshake or pairing; its first frame says which. */
export async function acceptRelayCircuit(agent: RelayCircuitDeps, raw: Circuit): Promise<void> {
  const circuit = new HeldCircuit(raw);
  // One deadline for the first frame and the handshake together: a circuit that trickles cannot hold
  // a slot for twice the timeout.
  const deadline = Date.now() + RELAY_LINK_TIMEOUT_MS;
  try {
    const first = await circuit.first(RELAY_LINK_TIMEOUT_MS);
    if (isPairHello(first)) {
      // The relay authenticated the circuit's source by its key: limit attempts per source node, and
      // (identities being free, and the source's IP not passed on by the relay) over all relays.
      const source = { address: raw.relayUrl, limitKey: `node:${raw.claimedPeerId}`, viaRelay: true };
      return await agent.pairing.acceptPairing(circuit, first, source);
    }
    const link = await secureCircuit(circuit, {
      identity: agent.identity,
      timeoutMs: Math.max(1, deadline - Date.now()),
      verifyPeer: (fp) => {
        const refusal: Refusal | undefined =
          fp === circuit.claimedPeerId
            ? agent.admit(fp)
            : { code: 'BAD_REQUEST', reason: 'relay-claimed identity does not match' };
        if (refusal) throw new ClawError('UNKNOWN_PEER', refusal.reason, { refusal: refusal.code });
      },
    });
    agent.attach(new UpgradableLink(link));
  } catch (err) {
    // A node removed here keeps knocking (backing off to every 30 s, for good): expected, not a
    // warning; at warn it would fill the desktop app's log with a line a minute per such node.
    const level = refusalOf(err) === 'REMOVED' ? 'info' : 'warn';
    agent.log[level](
      { from: circuit.claimedPeerId, relay: circuit.relayUrl },
      `refused relay link: ${(err as Error).message}`,
    );
    circuit.close((err as Error).message, refusalOf(err));
  }
}
