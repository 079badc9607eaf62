/**
 * The in-process case of the one agent starter (`startAgent(home, { inProcess })` in processes.ts): a
 * whole agent for a home run by app/run-agent.ts in the test's own process, for a test that reaches
 * into its parts or gives it domains of its own. `stopAll` stops each one still running.
 */
import type { RunAgentOptions, RunningAgent } from '../../src-main/app/run-agent.js';

/** What `runAgent` takes besides the home. */
export type InProcessOptions = Omit<RunAgentOptions, 'home'>;

const running = new Set<RunningAgent>();

/** Runs the agent of `home`; resolves once it runs, rejects as `runAgent` does when it cannot start. */
export async function startInProcess(home: string, opts: InProcessOptions): Promise<RunningAgent> {
  // Loaded on first use: most test files start agents as processes, and the agent's modules cost tenths
  // of a second to load.
  const { runAgent } = await import('../../src-main/app/run-agent.js');
  const agent = await runAgent({ ...opts, home });
  const stop = agent.stop.bind(agent);
  const tracked: RunningAgent = {
    ...agent,
    stop: async () => {
      running.delete(tracked);
      await stop();
    },
  };
  running.add(tracked);
  return tracked;
}

/** Stops every agent startInProcess started that still runs. */
export async function stopInProcessAgents(): Promise<void> {
  await Promise.all([...running].map((a) => a.stop()));
}
