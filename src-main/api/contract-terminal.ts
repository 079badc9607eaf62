/**
 * The terminals part of the API contract: the sessions this node has open on its peers, which the
 * agent owns (ADR 0008), and their hand-over to the next run (ADR 0082). Spread into contract.ts's
 * methodParams and MethodResults; the agent's terminal domain (terminal/terminals-domain.ts)
 * implements it. The streaming `terminal.open` and `terminal.attach` are in stream-upgrade.ts.
 */
import { z } from 'zod';
import type { TerminalInfo } from './contract-types.js';

export const terminalMethodParams = {
  /** The terminal sessions this node has open on its peers (agent-owned; see terminal.attach). */
  'terminal.list': () => z.object({}).strict(),
  /**
   * Writes what the next run needs to take up the sessions this node has open on its peers and leaves
   * them running: the desktop app asks it before it ends the agent to install an update
   * (terminal/terminal-handover.ts). The caller ends the agent next.
   */
  'terminal.handOver': () => z.object({}).strict(),
  /** Hangs up a session this node has open on a peer (its program gets a hang-up), or forgets an ended one. */
  'terminal.close': () =>
    z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits') }).strict(),
} as const;

/** Result type of each terminals method. */
export interface TerminalMethodResults {
  'terminal.list': TerminalInfo[];
  'terminal.close': { id: string };
  /** How many terminals were handed over. */
  'terminal.handOver': { terminals: number };
}
