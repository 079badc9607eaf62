/**
 * Forwarding for one agent, wired in by its domain (forwards-domain.ts): the exit services peers may
 * open here (`tcp-connect`, `udp-connect`, `reverse-listen`) and this node's saved forwards and
 * proxies. `createForwarding` registers the services before the agent starts, so no early peer stream
 * meets an unregistered one; in the agent's lifecycle forwarding starts after the node and stops
 * before it, so its ports are freed first.
 */
import type { Notices } from '../state/notices.js';
import type { PeerDirectory, PeerStreams } from '../links/ports.js';
import type { AuditSink } from '../audit/audit-writer.js';
import { lifecycle } from '../core/lifecycle.js';
import { agentDialer } from './dialer.js';
import { ForwardManager, type ForwardManagerDeps } from './forward-manager.js';
import { StreamResumes } from './stream-resumes.js';
import { registerTcpConnectService } from './tcp-connect-service.js';
import type { LocalReverseTarget } from './reverse-carrier.js';
import { ReverseForwards } from './reverse-forwards.js';
import { registerReverseListenService } from './reverse-listen-service.js';
import { registerUdpConnectService } from './udp-connect-service.js';
import { agentUdpConnect, withUdpFlows } from './udp-dialer.js';

export interface Forwarding {
  manager: ForwardManager;
  /** Opens the saved forwards' and proxies' listeners (one that cannot bind shows `error`). */
  start(): Promise<void>;
  /** Closes the listeners this node opened for peers' reverse forwards, then its own forwards. */
  stop(): Promise<void>;
}

/**
 * What forwarding uses of the agent (architecture.md §Rules the code keeps): the forward manager's
 * needs, the services registry and this node's name for tcp-connect, and streams to peers.
 */
export type ForwardingDeps = ForwardManagerDeps &
  Parameters<typeof registerTcpConnectService>[0] & {
    readonly links: Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'openStream' | 'activePath'>;
    /** Reverse forwards ask their peers again when links change. */
    readonly notices: Pick<Notices, 'changed' | 'notice' | 'onChanged'>;
    /** Listeners opened here for peers' reverse forwards are recorded (audit/). */
    readonly audit?: AuditSink;
    /** Serves shared folders' connections here (share/, ADR 0052); absent: none are. */
    readonly local?: LocalReverseTarget;
  };

/** Registers the exit services and builds the forward manager; `start` opens the saved listeners. */
export function createForwarding(agent: ForwardingDeps): Forwarding {
  // Forwarded connections survive a change of path (ADR 0023): the halves peers opened here wait for them.
  const resumes = new StreamResumes();
  resumes.register(agent.services);
  registerTcpConnectService(agent, resumes);
  // Reverse forwards: this node listening for its peers, and its own listening on them (ADR 0018).
  const listening = registerReverseListenService(agent);
  const reverse = new ReverseForwards(agent, undefined, resumes);
  // UDP forwards: the exit side, and each flow's stream to the exit peer (ADR 0019).
  registerUdpConnectService(agent, resumes);
  const dialer = withUdpFlows(agentDialer(agent.links), agentUdpConnect(agent.links));
  const manager = new ForwardManager(agent, dialer, undefined, reverse, () => listening.listeners());
  // Stopped in reverse: the listeners opened for peers first, then this node's own.
  const life = lifecycle([
    { name: 'forwards and proxies', start: () => manager.restore(), stop: () => manager.stop() },
    { name: 'reverse-listen service', stop: () => listening.stop() },
  ]);
  return { manager, start: () => life.start(), stop: () => life.stop() };
}
