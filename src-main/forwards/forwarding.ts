/**
 * Forwarding for one agent, wired in by run-agent.ts: the `tcp-connect` service peers may open here, and
 * this node's saved forwards and proxies. `startForwarding` before `agent.start()` so no early peer
 * stream meets an unregistered service; `stop()` before `agent.stop()` so ports are freed first.
 */
import type { Notices } from '../agent/state/notices.js';
import type { PeerDirectory, PeerStreams } from '../agent/links/ports.js';
import type { AuditSink } from '../audit/audit-writer.js';
import { agentDialer } from './dialer.js';
import { ForwardManager, type ForwardManagerDeps } from './forward-manager.js';
import { StreamResumes } from './stream-resumes.js';
import { registerTcpConnectService } from './tcp-connect-service.js';
import { ReverseForwards } from './reverse-forwards.js';
import { registerReverseListenService } from './reverse-listen-service.js';
import { registerUdpConnectService } from './udp-connect-service.js';
import { agentUdpConnect, withUdpFlows } from './udp-dialer.js';

export interface Forwarding {
  manager: ForwardManager;
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
  };

/** Registers tcp-connect and starts the saved listeners (one that cannot bind shows `error`). */
export async function startForwarding(agent: ForwardingDeps): Promise<Forwarding> {
  // Forwarded connections survive a change of path (ADR 0023): the halves peers opened here wait for them.
  const resumes = new StreamResumes();
  resumes.register(agent.services);
  registerTcpConnectService(agent, resumes);
  // Reverse forwards: this node listening for its peers, and its own listening on them (ADR 0018).
  const stopListening = registerReverseListenService(agent);
  const reverse = new ReverseForwards(agent, undefined, resumes);
  // UDP forwards: the exit side, and each flow's stream to the exit peer (ADR 0019).
  registerUdpConnectService(agent, resumes);
  const dialer = withUdpFlows(agentDialer(agent.links), agentUdpConnect(agent.links));
  const manager = new ForwardManager(agent, dialer, undefined, reverse);
  await manager.restore();
  return {
    manager,
    stop: async () => {
      await stopListening();
      return manager.stop();
    },
  };
}
