/**
 * What a restart to update would interrupt (update-policy.ts restartVerdict): the terminals this node
 * opened on peers, those it serves, and the file transfers still moving, as the agent lists them. An agent that does
 * not answer runs nothing a restart could interrupt.
 */
import type { ApiHandler } from '../api/contract.js';
import type { RunningWork } from './update-policy.js';

const MOVING = new Set(['preparing', 'waiting', 'sending', 'receiving']);

export async function runningWork(agent: Pick<ApiHandler, 'call'>): Promise<RunningWork> {
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
