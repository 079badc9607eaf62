/**
 * A node on a relay, as the agent runs one (src-main/agent/agent.ts): our RelayClient, with incoming
 * circuits secured by the E2E handshake (secureCircuit) and outgoing links opened the same way.
 */
import { loadIdentity, type Identity } from '../src-main/crypto/identity.js';
import type { Link } from '../src-main/transport/link.js';
import { RelayClient } from '../src-main/transport/relay-client.js';
import { secureCircuit } from '../src-main/transport/e2e-link.js';

/** How long a bench node waits for its relay connection or a circuit + handshake, in ms. */
export const RELAY_NODE_TIMEOUT_MS = 15_000;

/** What crosses the IPC channel for an identity (PEM only; the child recomputes DER and fingerprint). */
export interface BenchIdentity {
  certPem: string;
  keyPem: string;
}

export function benchIdentity(id: Identity): BenchIdentity {
  return { certPem: id.certPem, keyPem: id.keyPem };
}

export interface RelayNode {
  readonly identity: Identity;
  readonly client: RelayClient;
  /** Opens a circuit to `peer` and runs the E2E handshake over it. */
  dial(peer: string): Promise<Link>;
  stop(): void;
}

export interface RelayNodeOptions {
  url: string;
  identity: BenchIdentity;
  /** The only node whose incoming circuits are accepted (others fail the handshake). */
  acceptFrom?: string;
  onLink?: (link: Link) => void;
}

/** Starts a RelayClient and resolves once it is authenticated to the relay. */
export async function startRelayNode(opts: RelayNodeOptions): Promise<RelayNode> {
  const identity = loadIdentity(opts.identity.certPem, opts.identity.keyPem);
  const client = new RelayClient({ url: opts.url, identity });
  client.on('incoming', (circuit) => {
    secureCircuit(circuit, {
      identity,
      timeoutMs: RELAY_NODE_TIMEOUT_MS,
      verifyPeer: (fp) => {
        if (fp !== opts.acceptFrom) throw new Error('not the bench client');
      },
    }).then(
      (link) => opts.onLink?.(link),
      () => circuit.close('refused'),
    );
  });
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`relay client did not connect to ${opts.url} within ${RELAY_NODE_TIMEOUT_MS} ms`)),
      RELAY_NODE_TIMEOUT_MS,
    );
    const dispose = client.on('state', (state) => {
      if (state !== 'connected') return;
      clearTimeout(timer);
      dispose();
      resolve();
    });
  });
  client.start();
  await connected.catch((err: Error) => {
    client.stop();
    throw err;
  });
  return {
    identity,
    client,
    dial: async (peer) => {
      const circuit = await client.openCircuit(peer, RELAY_NODE_TIMEOUT_MS);
      return secureCircuit(circuit, { identity, expectedPeer: peer, timeoutMs: RELAY_NODE_TIMEOUT_MS });
    },
    stop: () => client.stop(),
  };
}
