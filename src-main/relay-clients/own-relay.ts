/**
 * `--act-as-relay`: this node also runs the relay server (the same one as `clawbridge relay`) for its
 * peers — a box with a public address relaying for a laptop behind carrier NAT. It serves only itself
 * and peers granted `relay`, uses the node's own certificate for wss:// (so peers pin the node's
 * fingerprint), and the node joins its own relay so peers that use it can reach it there.
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
}

export async function startOwnRelay(agent: OwnRelayDeps, listen: string): Promise<RelayServer> {
  const { host, port } = parseHostPort(listen);
  const self = agent.identity.fingerprint;
  // Loaded here, not at the top: parsing the relay server and its metrics (prom-client) slowed every
  // agent's start (docs/design/loading-on-demand.md), and only nodes that act as relays run it.
  const { startRelayServer } = await import('../relay/server.js');
  const server = await startRelayServer({
    host,
    port,
    tls: { certPem: agent.identity.certPem, keyPem: agent.identity.keyPem },
    logger: agent.log.child({ component: 'own-relay' }),
    authorize: (nodeId) => nodeId === self || agent.state.peer(nodeId)?.allow.includes('relay') === true,
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
