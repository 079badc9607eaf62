/**
 * `term` outlives its local agent: when the agent goes away without ending the session (killed, crashed),
 * the peer keeps the remote program for its resume window (ADR 0004), so `term` waits for an agent
 * to answer on the control socket again and takes the session up there (`terminal.open` with `resume`:
 * docs/protocol.md §Resuming after the local agent restarted). Kept apart from terminal/cli/term-command.ts,
 * which runs the session itself, and in cli/ because `file send`'s wait for a
 * restarted agent shares its limit.
 */
import type { Socket } from 'node:net';
import { ClawError, isClawError } from '../core/errors.js';

/**
 * How long `term` waits for its agent to come back, in ms (60 s): the default resume window peers keep
 * a session for (settings `terminalResumeMs`). A peer with a shorter window says so when asked.
 */
export const AGENT_WAIT_MS = 60_000;

/** Pause between two tries of the control socket, in ms: an agent is usually back within a second. */
export const AGENT_RETRY_MS = 250;

/** One try: connect and ask for the session; `track` is told the socket, so a late try can be cut. */
export type ReopenTry = (track: (socket: Socket) => void) => Promise<{ socket: Socket; rest: Buffer }>;

/** "60 s", "500 ms". */
export function waitSpan(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/**
 * Tries `open` until it succeeds, as long as no agent answers (NO_AGENT: the socket is not there yet, or
 * refuses), for at most `waitMs`. `stopped()` is checked between tries (the user left meanwhile).
 * @throws ClawError('TERMINAL_LOST') once `waitMs` has passed, or the agent's own refusal (the peer no
 *   longer has the session, say) as is
 */
export async function reopenWhenBack(
  open: ReopenTry,
  peer: string,
  {
    waitMs = AGENT_WAIT_MS,
    retryMs = AGENT_RETRY_MS,
    stopped = (): boolean => false,
  }: { waitMs?: number; retryMs?: number; stopped?: () => boolean } = {},
): Promise<{ socket: Socket; rest: Buffer }> {
  const deadline = Date.now() + waitMs;
  while (!stopped()) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let current: Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        current?.destroy();
        reject(new ClawError('TIMEOUT', 'the agent did not take the session up in time'));
      }, left);
    });
    try {
      return await Promise.race([open((s) => (current = s)), late]);
    } catch (err) {
      // Only "no agent here yet" is worth another try; anything else is the agent's (or peer's) answer.
      if (!isClawError(err, 'NO_AGENT')) {
        if (isClawError(err, 'TIMEOUT')) break;
        throw err;
      }
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(retryMs, deadline - Date.now()))));
  }
  throw new ClawError(
    'TERMINAL_LOST',
    `the local agent did not come back within ${waitSpan(waitMs)}; gave up the terminal on ${peer}`,
  );
}
