/**
 * The terminal domain's part of the API contract (docs/adr/0085-domains-as-plug-ins.md): the sessions
 * this node has open on its peers, which the agent owns (ADR 0008), their hand-over to the next run
 * (ADR 0082), the `terminal` event and the permission word `terminal`. Pure, and without zod (its makers are given it);
 * terminals-domain.ts lists it as its `contract`, and the declarations below give the types. The
 * streaming `terminal.open` and `terminal.attach` are still in api/stream-upgrade.ts.
 */
import type { ContractPiece, MethodsOf, ParamsContext } from '../api/contract-piece.js';
import type { TerminalSessionState } from '../api/contract-types.js';
import type { ExitStatus } from '../protocol/terminal-frames.js';
import type { PathKind } from '../transport/link.js';

export type { TerminalSessionState } from '../api/contract-types.js';

export const terminalMethodParams = {
  /** The terminal sessions this node has open on its peers (agent-owned; see terminal.attach). */
  'terminal.list': ({ z }: ParamsContext) => z.object({}).strict(),
  /**
   * Writes what the next run needs to take up the sessions this node has open on its peers and leaves
   * them running: the desktop app asks it before it ends the agent to install an update
   * (terminal/terminal-handover.ts). The caller ends the agent next.
   */
  'terminal.handOver': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Hangs up a session this node has open on a peer (its program gets a hang-up), or forgets an ended one. */
  'terminal.close': ({ z }: ParamsContext) =>
    z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits') }).strict(),
} as const;

/** Result type of each terminals method. */
export interface TerminalMethodResults {
  'terminal.list': TerminalInfo[];
  'terminal.close': { id: string };
  /** How many terminals were handed over. */
  'terminal.handOver': { terminals: number };
}

export interface TerminalInfo {
  /** This agent's ID for the session: what `terminal.attach` takes. */
  id: string;
  /** The peer's fingerprint. */
  peer: string;
  peerName: string;
  state: TerminalSessionState;
  /** The path the session's stream uses, or null while it has none. */
  path: PathKind | null;
  exit?: ExitStatus;
  /** Why it failed, or what the reconnecting is about. */
  message?: string;
  /** A viewer is attached right now. */
  attached: boolean;
  startedAt: string;
}

export interface TerminalEvent {
  id: string;
  state: TerminalSessionState;
  exit?: ExitStatus;
  message?: string;
}

/** What the terminal domain brings to the contract at run time. */
export const terminalContract = {
  methods: terminalMethodParams,
  permissions: {
    terminal: {
      meaning: 'open a terminal (a shell or a command) on this machine',
      byDefault: true,
      rank: 10,
    },
  },
  // A session's state shows in the status: each event is followed by one.
  events: { terminal: { status: true } },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof terminalMethodParams, TerminalMethodResults> {}
  interface ApiEvents {
    /** An agent-owned terminal session changed state. */
    terminal: TerminalEvent;
  }
}

declare module '../core/permissions.js' {
  interface PermissionWords {
    terminal: true;
  }
}
