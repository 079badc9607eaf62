/**
 * Forwarding for one agent, wired in by run-agent.ts: the `tcp-connect` service peers may open here, and
 * this node's saved forwards and proxies. `startForwarding` before `agent.start()` so no early peer
 * stream meets an unregistered service; `stop()` before `agent.stop()` so ports are freed first.
 */
import type { Agent } from '../agent/agent.js';
import { ClawError } from '../core/errors.js';
import { agentDialer } from './dialer.js';
import { ForwardManager } from './forward-manager.js';
import { registerTcpConnectService } from './tcp-connect-service.js';

export interface Forwarding {
  manager: ForwardManager;
  stop(): Promise<void>;
}

const managers = new WeakMap<Agent, ForwardManager>();

/** Registers tcp-connect on `agent` and starts its saved listeners (one that cannot bind shows `error`). */
export async function startForwarding(agent: Agent): Promise<Forwarding> {
  registerTcpConnectService(agent);
  const manager = new ForwardManager(agent, agentDialer(agent));
  managers.set(agent, manager);
  await manager.restore();
  return {
    manager,
    stop: async () => {
      managers.delete(agent);
      await manager.stop();
    },
  };
}

/**
 * The forward manager of a running agent (for the API handlers).
 * @throws ClawError('INTERNAL') when startForwarding was not called for it.
 */
export function forwardsOf(agent: Agent): ForwardManager {
  const manager = managers.get(agent);
  if (!manager) throw new ClawError('INTERNAL', 'forwarding is not running in this agent; restart the agent');
  return manager;
}
