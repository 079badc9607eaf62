/**
 * Quit of a live agent process (agent-host.ts): ask it to stop the way that lets it free its ports and
 * tell its viewers and peers, and end it by force if it is still there at the deadline.
 */
import { errorMessage } from '../core/errors.js';
import type { AgentClient } from './agent-client.js';
import type { AgentRun } from './agent-host-state.js';
import type { HostToAgentMessage } from './agent-process-messages.js';

/** Resolves once the process exited, by itself or killed `timeoutMs` after the request. */
export function endAgentProcess(
  { proc, exited }: AgentRun,
  client: AgentClient | undefined,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const askOverIpc = () => {
    try {
      proc.postMessage({ type: 'stop' } satisfies HostToAgentMessage);
    } catch {
      // Its channel is closed: the process is on its way out already.
    }
  };
  // agent.stop frees the forwards' ports, tells terminal viewers and peers; the process exits after.
  // Before the agent runs there is no socket to ask on, only the process channel.
  if (client) {
    void client.call('agent.stop', {}).catch((err: unknown) => {
      // The reply can be lost to the agent closing its socket as it stops: ask again over the
      // process channel (the agent stops once either way) rather than kill a process that may be
      // exiting cleanly. The deadline below still ends one that does not.
      log(`agent: asking it to stop over its socket failed (${errorMessage(err)}); asking over IPC`);
      askOverIpc();
    });
  } else askOverIpc();
  const deadline = setTimeout(() => {
    log(`agent: still running ${timeoutMs / 1000} s after Quit; ending it`);
    proc.kill();
  }, timeoutMs);
  // Cleared at the exit rather than unref'd: it must fire even when nothing else keeps Node running.
  return exited.finally(() => clearTimeout(deadline));
}

/**
 * How long a restart to update waits for the agent to write its terminals' hand-over, in ms (3 s: it
 * writes one small file). Past it the process is ended all the same: the window's terminals then come
 * back as the peer still has them, found by the tabs of a page that stayed open, or not at all.
 */
export const HAND_OVER_TIMEOUT_MS = 3_000;

/**
 * A restart to install an update (docs/adr/0077-desktop-updates.md, 0082): the agent writes what the
 * next version needs to take up the terminals it has open on peers (`terminal.handOver`), then its
 * process is ended the way a crash ends it — not `agent.stop`, whose `closeAll … bye` would hang up
 * every session, served or opened. Resolves once the process exited.
 */
export async function handOverAgentProcess(
  { proc, exited }: AgentRun,
  client: AgentClient | undefined,
  log: (line: string) => void,
  timeoutMs = HAND_OVER_TIMEOUT_MS,
): Promise<void> {
  if (client) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(`agent: no terminal hand-over within ${timeoutMs / 1000} s; ending it without one`);
        resolve();
      }, timeoutMs);
    });
    await Promise.race([
      client.call('terminal.handOver', {}).then(
        (r) => log(`agent: ${r.terminals} terminal(s) handed over to the next version`),
        (err: unknown) => log(`agent: the terminal hand-over failed (${errorMessage(err)})`),
      ),
      late,
    ]);
    clearTimeout(timer);
  }
  proc.kill();
  return exited;
}
