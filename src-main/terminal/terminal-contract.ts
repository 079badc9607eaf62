/**
 * The terminal domain's part of the API contract (docs/adr/0085-domains-as-plug-ins.md): the sessions
 * this node has open on its peers, which the agent owns (ADR 0008), their hand-over to the next run
 * (ADR 0082), the streaming `terminal.open` and `terminal.attach` (api/stream-upgrade.ts), the
 * `terminal` event and the permission word `terminal`. Pure, and without zod (its makers are given it);
 * terminals-domain.ts lists it as its `contract`, and the declarations below give the types.
 */
import type { ContractPiece, MethodsOf, ParamsContext } from '../api/contract-piece.js';
import { sessionFields, type SessionFields } from '../audit/audit-kinds.js';
import { terminalSettings } from './terminal-settings.js';
import { MAX_TERMINAL_OFFSET, SESSION_ID, type ExitStatus } from '../protocol/terminal-frames.js';
import { newTerminalFieldsWith, terminalDimensionWith } from '../protocol/terminal-open-fields.js';
import type { PathKind } from '../transport/link.js';
import { TERMINAL_WORDS } from './terminal-words.js';
import type { AuditFieldsOf } from '../audit/audit-kinds.js';
import {
  shareAuditFields,
  shareMethodParams,
  shareStreamParams,
  type OffersEvent,
  type ShareMethodResults,
  type ShareStreamResults,
} from './shares/share-contract.js';

/**
 * - `connected`: the session runs and its stream is up (a viewer may or may not be attached);
 * - `reconnecting`: the stream was lost and the session is being resumed;
 * - `exited`: the remote program ended (`exit` says how); `failed`: the session was lost for good;
 * - `closed` (events only, the session is gone from the list): hung up from this side —
 *   `terminal.close`, or the CLI viewer that owned it left.
 */
export type TerminalSessionState = 'connected' | 'reconnecting' | 'exited' | 'failed' | 'closed';

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

/** `terminal.open` for a new session: the same fields as the OPEN between agents, and the peer. */
export const newTerminalParams = ({ z }: Pick<ParamsContext, 'z'>) =>
  z.object({ peer: z.string().min(1).max(200), ...newTerminalFieldsWith(z) }).strict();

/**
 * The streaming methods (api/stream-upgrade.ts): their reply is followed by terminal frames both ways
 * (protocol/terminal-frames.ts) on the same connection.
 */
export const terminalStreamParams = {
  /**
   * A terminal on `peer`, asked for with the same fields as the OPEN between agents
   * (protocol/terminal-open-fields.ts): its shell or `command`, the local window's size and, from a
   * terminal other than the window's xterm.js, its type (the CLI's $TERM; terminal-type.ts). With
   * `pty: false` the program runs on pipes where the peer can (input byte for byte, an EOF frame closes
   * its stdin, its stderr comes as STDERR frames); `result.pty` says what the session got.
   */
  'terminal.open': ({ z }: ParamsContext) =>
    newTerminalParams({ z })
      .extend({
        /**
         * Back on a session this node had open on `peer` before its agent restarted (docs/protocol.md
         * §Resuming after the local agent restarted): the peer's session ID (the `session` of the first
         * `terminal.open`'s result), with `offset`, the output bytes the viewer has; the peer finds the
         * session by this node's identity and that ID and replays from `offset`. Only the window size and
         * `pty` (false: the session runs on pipes) go with it.
         */
        resume: z.string().regex(SESSION_ID, 'a session ID is 32 hex digits').optional(),
        offset: z.number().int().min(0).max(MAX_TERMINAL_OFFSET).optional(),
      })
      .strict()
      .superRefine((p, ctx) => {
        if ((p.resume === undefined) !== (p.offset === undefined))
          ctx.addIssue({ code: 'custom', path: ['offset'], message: 'resume and offset go together' });
        for (const key of ['command', 'term', 'echo', 'opost'] as const) {
          if (p.resume !== undefined && p[key] !== undefined)
            ctx.addIssue({ code: 'custom', path: [key], message: 'not with resume (the session has it)' });
        }
      }),
  /**
   * A viewer (back) on a session this agent keeps (`terminal.list`): its scrollback is replayed as DATA
   * frames, then live output follows; cols/rows resize the session. `from`: the output offset this
   * viewer has already shown up to (its last SESSION frame's offset plus the DATA bytes since), so a
   * window whose connection dropped gets only what it missed (ADR 0004's resume, for the viewer).
   */
  'terminal.attach': ({ z }: ParamsContext) =>
    z
      .object({
        id: z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits'),
        cols: terminalDimensionWith(z),
        rows: terminalDimensionWith(z),
        from: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      })
      .strict(),
} as const;

/** The reply's `result` for each streaming method. */
export interface TerminalStreamResults {
  /**
   * The session's ID here (for `terminal.attach`, `terminal.close`), the path it started on and its
   * address (direct `host:port` or the relay URL), and whether it runs in a terminal (false: on pipes).
   */
  'terminal.open': {
    id: string;
    path: PathKind;
    remote: string;
    pty: boolean;
    /**
     * The peer's ID for the session (32 hex digits): what a viewer gives as `resume` to open it again
     * after this agent restarted. Absent from agents before it.
     */
    session?: string;
  };
  'terminal.attach': {
    id: string;
    /** Null while the session has no stream (reconnecting, ended). */
    path: PathKind | null;
    remote: string;
    state: TerminalSessionState;
    /** Scrollback bytes replayed before live output. */
    replayBytes: number;
    /**
     * Output offset of the first replayed byte (the SESSION frame's too): `from` when the scrollback
     * still held it, else the oldest byte it holds; a viewer that asked `from` and gets another offset
     * lost bytes in between and redraws from a clean screen.
     */
    offset: number;
  };
}

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
  // With the shared terminals' (shares/share-contract.ts, docs/adr/0123-shared-terminals.md).
  methods: { ...terminalMethodParams, ...shareMethodParams },
  streams: { ...terminalStreamParams, ...shareStreamParams },
  permissions: TERMINAL_WORDS,
  // A session's state shows in the status: each event is followed by one.
  // The shares offered this node: the whole list each time, so the window's Join needs no polling.
  events: { terminal: { status: true }, 'terminal.offers': {} },
  // A terminal is a session to the audit log: its start, each resume and its end, on either side.
  connections: {
    'terminal-served': { session: { side: 'served', record: 'terminal' } },
    'terminal-opened': { session: { side: 'opened', record: 'terminal' } },
  },
  // Its sessions' records in the audit log (a session's fields: the node writes them).
  // A shared terminal's joins, switches and leaves, where its shell runs.
  audit: { terminal: sessionFields, 'terminal-share': shareAuditFields },
  // Its settings: the resume window and how long a window's session is kept (settings.set changes them).
  settings: terminalSettings,
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof terminalMethodParams, TerminalMethodResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof shareMethodParams, ShareMethodResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface StreamMethods extends MethodsOf<typeof terminalStreamParams, TerminalStreamResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface StreamMethods extends MethodsOf<typeof shareStreamParams, ShareStreamResults> {}
  interface ApiEvents {
    /** An agent-owned terminal session changed state. */
    terminal: TerminalEvent;
    /** A share was offered this node, changed (typing allowed or not) or ended: the offers now. */
    'terminal.offers': OffersEvent;
  }
}

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A peer's terminal on this node. */
    'terminal-served': true;
    /** This node's terminal on a peer. */
    'terminal-opened': true;
  }
}

declare module '../core/permissions.js' {
  interface PermissionWords {
    terminal: true;
  }
}

declare module '../api/contract-piece.js' {
  interface DomainRunOptions {
    terminals: {
      /**
       * False: terminal sessions served here live in the agent and end with it. Default: they live in
       * the session host (docs/adr/0022-session-host.md) and survive the agent, which starts the host
       * detached with its own Node; `{ startHost }`: the same, with the host started by `startHost`
       * (the desktop app's agent asks main to fork it, electron/session-host-launcher.ts).
       */
      readonly sessionHost?: boolean | { readonly startHost: () => void };
    };
  }
}

declare module '../audit/audit-kinds.js' {
  interface DomainAuditKinds {
    /** A terminal session started, resumed or ended, on either side. */
    terminal: SessionFields;
    /** A viewer of a shared terminal joined, switched between watching and typing, or left. */
    'terminal-share': AuditFieldsOf<typeof shareAuditFields>;
  }
}

declare module '../api/contract-piece.js' {
  interface DomainSettings {
    terminalResumeMs: { option: number };
    detachedTerminalIdleMs: { option: number };
  }
}

declare module '../api/contract-types.js' {
  interface SettingsResult {
    /** How long a terminal session served here waits for its client after the stream is lost, in ms. */
    terminalResumeMs: number;
    /** How long a window's terminal session is kept with no viewer before it is hung up, in ms. */
    detachedTerminalIdleMs: number;
  }
}
