/**
 * What a restart to update would interrupt (update-policy.ts restartVerdict): the terminals this node
 * opened on peers, those it serves, and the file transfers still moving, as the agent lists them. An agent that does
 * not answer runs nothing a restart could interrupt, and neither does one the app attached to rather
 * than started (agent-attach.ts): it keeps running across the restart, with all of that.
 */
import type { ApiHandler } from '../api/contract.js';
import type { AgentHostState } from './agent-connection.js';
import type { RunningWork } from './update-policy.js';

const MOVING = new Set(['preparing', 'waiting', 'sending', 'receiving']);

export async function runningWork(
  agent: Pick<ApiHandler, 'call'> & { hostState?: () => AgentHostState },
): Promise<RunningWork> {
  const host = agent.hostState?.();
  if (host?.kind === 'running' && host.attached) return { terminals: 0, served: 0, transfers: 0 };
  const [connections, transfers] = await Promise.all([
    agent.call('connections.list', {}).catch(() => []),
    agent.call('files.transfers', {}).catch(() => []),
  ]);
  return {
    terminals: connections.filter((c) => c.kind === 'terminal-opened').length,
    served: connections.filter((c) => c.kind === 'terminal-served').length,
    transfers: transfers.filter((t) => MOVING.has(t.state)).length,
  };
}
