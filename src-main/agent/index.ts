/**
 * The agent as the desktop shell sees it (src-main/electron/agent-port.ts): start/stop, a status
 * snapshot and a change signal, over the same API handler the control socket serves.
 */
import type { AgentPort, CreateAgent } from '../electron/agent-port.js';
import { runAgent, type RunningAgent } from './run-agent.js';
import { ClawError } from '../core/errors.js';

export const createAgent: CreateAgent = (home) => {
  let running: RunningAgent | undefined;
  const listeners = new Set<() => void>();
  const port: AgentPort = {
    start: async () => {
      // `clawbridge stop` on the app's home stops the app's agent as the tray's stop would.
      running ??= await runAgent({ home, onStopRequested: () => void port.stop() });
      running.agent.events.on('changed', () => listeners.forEach((l) => l()));
    },
    stop: async () => {
      await running?.stop();
      running = undefined;
    },
    status: async () => {
      if (!running) throw new ClawError('NO_AGENT', 'the agent is not running');
      return running.api.call('status', {});
    },
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return Promise.resolve(port);
};
