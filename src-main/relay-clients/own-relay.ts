/**
 * `--act-as-relay`: this node also runs the relay server (the same one as `clawbridge relay`) for its
 * peers — a box with a public address relaying for a laptop behind carrier NAT. It relays for itself
 * and peers granted `relay`, uses the node's own certificate for wss:// (so peers pin the node's
 * fingerprint), and the node joins its own relay so peers that use it can reach it there. It serves
 * the browser-node page at its root (unless `--no-relay-page`), and lets in as guests, to reach this
 * node only (docs/security.md §Browser nodes):
 *
 * - a node this node knows (a peer of any kind, or a guest of its groups): circuits to this node;
 * - any other node only while this node has a code open here (a pairing code or a group invitation):
 *   circuits to the rendezvous aliases this node listens on, nothing else.
 *
 * Nobody reaches another node through it without `relay`, and no guest is reached by anyone but this node.
 */
import type { ConnectionOpener } from '../connections/connection-table.js';
import { relayCircuitLister } from '../connections/relay-circuits.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import type { RelayServer } from '../relay/server.js';
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import type { NodeStateReader } from '../state/node-state.js';

/** What the own relay uses (architecture.md §Rules the code keeps): who it is, and which peers may relay. */
export interface OwnRelayDeps {
  readonly identity: Identity;
  readonly log: Logger;
  /** Read at each authentication: a `relay` grant taken away a moment ago is taken away. */
  readonly state: Pick<NodeStateReader, 'peer'>;
  /** Joins the relay just started, without saving it. */
  readonly relays: { useInternal(url: string, fingerprint: string): void };
  /** Where the circuits it carries between peers are listed (connections/relay-circuits.ts); optional. */
  readonly connections?: ConnectionOpener | undefined;
  /** Whether `fingerprint` is let in here without a pairing now (a group's member device); optional. */
  readonly isGuest?: ((fingerprint: string) => boolean) | undefined;
  /** Whether to serve the browser-node page at the root (false: `--no-relay-page`). */
  readonly servePage?: boolean | undefined;
}

/**
 * Who the own relay lets in, and whom a guest reaches (the rule in this file's header), for
 * RelayServerOptions.authorize and guestMayReach.
 */
export function ownRelayRule(agent: Pick<OwnRelayDeps, 'identity' | 'state' | 'isGuest'>): {
  authorize: (nodeId: string, listening: (id: string) => boolean) => boolean | 'guest';
  guestMayReach: (guest: string, other: string, byAlias: boolean) => boolean;
} {
  const self = agent.identity.fingerprint;
  const known = (fp: string) => agent.state.peer(fp) !== undefined || agent.isGuest?.(fp) === true;
  return {
    authorize: (nodeId, listening) => {
      if (nodeId === self || agent.state.peer(nodeId)?.allow.includes('relay') === true) return true;
      return known(nodeId) || listening(self) ? 'guest' : false;
    },
    guestMayReach: (guest, other, byAlias) => other === self && (byAlias || known(guest)),
  };
}

export async function startOwnRelay(agent: OwnRelayDeps, listen: string): Promise<RelayServer> {
  const { host, port } = parseHostPort(listen);
  const self = agent.identity.fingerprint;
  // Loaded here, not at the top: parsing the relay server and its metrics (prom-client) slowed every
  // agent's start (docs/design/loading-on-demand.md), and only nodes that act as relays run it.
  const { startRelayServer } = await import('../relay/server.js');
  const page = agent.servePage ? (await import('../relay/page.js')).loadRelayPage() : undefined;
  if (agent.servePage && !page)
    agent.log.warn('own relay serves no browser page: dist/web-node/ is not built (npm run build)');
  const server = await startRelayServer({
    host,
    port,
    tls: { certPem: agent.identity.certPem, keyPem: agent.identity.keyPem },
    logger: agent.log.child({ component: 'own-relay' }),
    ...ownRelayRule(agent),
    ...(page ? { page } : {}),
    ...(agent.connections
      ? { circuits: relayCircuitLister(agent.connections, self, (fp) => agent.state.peer(fp)?.name) }
      : {}),
  }).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'it is already in use' : errorMessage(err);
    throw new ClawError(
      'BAD_ARGUMENT',
      `cannot act as relay on ${listen}: ${why}; pick another --relay-listen, or start with --no-act-as-relay`,
    );
  });
  const local = host === '0.0.0.0' || host === '::' ? (host === '::' ? '[::1]' : '127.0.0.1') : host;
  agent.relays.useInternal(
    `wss://${local.includes(':') && !local.startsWith('[') ? `[${local}]` : local}:${server.port}`,
    self,
  );
  return server;
}
