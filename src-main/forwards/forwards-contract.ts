/**
 * The forwards domain's part of the API contract (docs/adr/0085-domains-as-plug-ins.md): forwards and
 * proxies (add, list, remove, switch off and on), the lists and ports they add to the status, and the
 * permission words `forward` and `listen`. Pure, and without zod (its makers are given it), so a
 * client loads it without the domain and without zod; forwards-domain.ts lists it as its `contract`, and the declarations below give the types.
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import { peerRef } from '../api/contract-fields.js';
import { MAX_SAVED_FORWARDS, savedForwardSchema, type SavedForwardEntry } from './saved-forward-schema.js';
import { FORWARDS_WORDS } from './forwards-words.js';

/** Name of a forward or proxy: letters, digits, `.`, `_`, `-`. */
const forwardName = (z: Zod) =>
  z.string().regex(/^[\w.-]{1,64}$/, 'use 1–64 letters, digits, ".", "_" or "-"');
/** Which kind a toggle is meant for: the CLI's `forward disable` refuses a proxy's name, and the other way. */
const toggleKind = (z: Zod) => z.enum(['forward', 'proxy']).optional();

export const forwardMethodParams = {
  'forward.add': ({ z }: ParamsContext) =>
    z
      .object({
        /**
         * `[HOST:]PORT` to listen on; HOST defaults to 127.0.0.1. For a reverse forward: `HOST:PORT`
         * its connections go to, as seen from this node (`forward add --reverse --to`).
         */
        local: z.string().min(1).max(300),
        via: peerRef(z),
        /**
         * `HOST:PORT` as seen from the peer. For a reverse forward: `[HOST:]PORT` the peer listens on
         * (its loopback unless a host is given; `forward add --reverse --listen`).
         */
        remote: z.string().min(1).max(300),
        /** `reverse`: like `ssh -R`, the peer listens and connections come back here (default `local`). */
        direction: z.enum(['local', 'reverse']).optional(),
        name: forwardName(z).optional(),
        /** Needed to listen on an address other machines can reach. */
        allowRemoteBind: z.boolean().optional(),
        /**
         * `udp` forwards UDP datagrams, each client address its own flow (default `tcp`); with
         * `direction: 'reverse'` the peer listens for UDP and the flows come back here.
         */
        protocol: z.enum(['tcp', 'udp']).optional(),
        /** A UDP forward's idle time per client flow, in seconds (default 60). */
        udpIdleS: z.number().int().min(1).max(3600).optional(),
      })
      .strict()
      .refine((p) => p.udpIdleS === undefined || p.protocol === 'udp', {
        message: 'udpIdleS is for UDP forwards (protocol: udp)',
      }),
  'forward.list': ({ z }: ParamsContext) => z.object({}).strict(),
  'forward.remove': ({ z }: ParamsContext) => z.object({ name: forwardName(z) }).strict(),
  'proxy.add': ({ z }: ParamsContext) =>
    z
      .object({
        kind: z.enum(['socks', 'http']),
        local: z.string().min(1).max(300),
        /** Exit peer; a SOCKS client may name another as its user name, and must when this is absent. */
        via: peerRef(z).optional(),
        name: forwardName(z).optional(),
        allowRemoteBind: z.boolean().optional(),
        /**
         * Clients must give the proxy's secret as their password (default true): false lets any local
         * program use it (browsers cannot send a SOCKS password). See docs/security.md.
         */
        auth: z.boolean().optional(),
      })
      .strict()
      .refine((p) => p.kind === 'socks' || p.via !== undefined, {
        message: 'an HTTP proxy needs via: the peer where its connections exit',
      }),
  'proxy.list': ({ z }: ParamsContext) => z.object({}).strict(),
  'proxy.remove': ({ z }: ParamsContext) => z.object({ name: forwardName(z) }).strict(),
  /** Switch a forward or proxy off (saved with `enabled: false`, its port freed) or on again. */
  'forward.enable': ({ z }: ParamsContext) =>
    z.object({ name: forwardName(z), kind: toggleKind(z) }).strict(),
  'forward.disable': ({ z }: ParamsContext) =>
    z.object({ name: forwardName(z), kind: toggleKind(z) }).strict(),
} as const;

/** Result type of each forwards method. */
export interface ForwardMethodResults {
  'forward.add': ForwardInfo;
  'forward.list': ForwardInfo[];
  'forward.remove': { name: string };
  'proxy.add': ProxyInfo;
  'proxy.list': ProxyInfo[];
  'proxy.remove': { name: string };
  'forward.enable': ToggleResult;
  'forward.disable': ToggleResult;
}

/** `forward.enable` / `forward.disable`: the forward or proxy as it is now. */
export interface ToggleResult {
  name: string;
  kind: 'tcp' | 'socks' | 'http';
  state: ForwardState;
  local: string;
  error?: string;
}

/** A port this node listens on for a peer's reverse forward or share (`status`, `share list`). */
export interface PeerListenerInfo {
  /** The peer it listens for, by its name here now. */
  peer: string;
  peerFingerprint: string;
  /** The address bound. */
  listen: string;
  protocol: 'tcp' | 'udp';
  /** Connections accepted there and open now (TCP; 0 for UDP, whose flows its peer counts). */
  open: number;
}
/**
 * Whether a forward or proxy is accepting connections; `error` when its address could not be bound;
 * `off` when the user switched it off (`forward.disable`): saved, its port free.
 */
export type ForwardState = 'listening' | 'error' | 'off';

export interface ForwardInfo {
  name: string;
  /**
   * `local`: this node listens on `local` and connections exit at `via` to `remote`. `reverse` (like
   * `ssh -R`): `via` listens on `remote` and connections come back here to `local`. Either way `local`
   * is this node's side and `remote` the peer's.
   */
  direction: 'local' | 'reverse';
  /** The bound `host:port` (the configured one while in error); for a reverse forward, its target here. */
  local: string;
  /** Exit peer, by the name it has now. */
  via: string;
  /**
   * The exit peer's fingerprint: the forward is bound to that machine. Null for a forward saved by an
   * older release whose peer was gone at start.
   */
  viaFingerprint: string | null;
  /** `host:port` as seen from the peer. */
  remote: string;
  state: ForwardState;
  /** Connections open now. */
  open: number;
  /** Connections accepted since the agent started. */
  connections: number;
  /** Bytes from the remote side to local clients. */
  bytesIn: number;
  /** Bytes from local clients to the remote side. */
  bytesOut: number;
  /** Why the state is `error` (only then). */
  error?: string;
  /** When a listener whose port was taken tries to bind again (ISO time; only in state `error`). */
  retryAt?: string;
  /**
   * Why its last connection failed or was cut (a peer that refused it, a lost link) and when (ISO time),
   * until a later connection opens. Absent when the last connection opened fine.
   */
  lastProblem?: { message: string; at: string };
  /**
   * `udp` for a UDP forward (absent for TCP): then `open` and `connections` count client flows, the
   * byte counters count datagram payloads, and these say more.
   */
  protocol?: 'udp';
  /** A UDP forward's idle time per client flow, in seconds. */
  udpIdleS?: number;
  /** Datagrams from the remote side to local clients. */
  datagramsIn?: number;
  /** Datagrams from local clients to the remote side. */
  datagramsOut?: number;
  /**
   * Datagrams dropped: over a flow's queue, too many flows, a flow that could not open, unsendable, or
   * dropped by the kernel at the forward's socket (its receive buffer full).
   */
  dropped?: number;
  /** Of `dropped`, those the kernel dropped at the forward's socket (Linux; 0 where it does not say). */
  kernelDropped?: number;
}

export interface ProxyInfo {
  name: string;
  kind: 'socks' | 'http';
  local: string;
  /** Default exit peer, or null for a SOCKS proxy whose clients name it as their user name. */
  via: string | null;
  /** The default exit peer's fingerprint (null without one, or as for ForwardInfo). */
  viaFingerprint: string | null;
  /**
   * The password clients must give (SOCKS5 password, HTTP `Proxy-Authorization: Basic`), or null when
   * any local program may use the proxy (added with `auth: false`, or by an older release).
   */
  secret: string | null;
  /** What to give a client: `socks5h://PEER:SECRET@127.0.0.1:1080` or `http://PEER:SECRET@…`. */
  url: string;
  state: ForwardState;
  /** Connections open now. */
  open: number;
  /** Connections accepted since the agent started. */
  connections: number;
  bytesIn: number;
  bytesOut: number;
  error?: string;
  retryAt?: string;
  /** As for ForwardInfo: why its last connection was cut, until a later one opens. */
  lastProblem?: { message: string; at: string };
}

/** What the forwards domain brings to the contract at run time. */
export const forwardsContract = {
  methods: forwardMethodParams,
  permissions: FORWARDS_WORDS,
  // A connection a peer refused, connections a lost link cut: the window has no other way to learn.
  notices: { forward: { toClients: true }, proxy: { toClients: true } },
  // Its section of config.json: the saved forwards, found by name, announced as `forward` changes.
  settings: {
    forwards: { entry: savedForwardSchema, max: MAX_SAVED_FORWARDS, key: 'name', change: 'forward' },
  },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof forwardMethodParams, ForwardMethodResults> {}
}

declare module '../api/contract-node.js' {
  interface NoticeKinds {
    /** About one forward (its name in the line). */
    forward: true;
    /** About one proxy. */
    proxy: true;
  }
  interface StatusResult {
    /** Ports this node listens on for its peers (their reverse forwards and shares); absent: none. */
    listeningForPeers?: PeerListenerInfo[];
  }
}

declare module '../api/contract-types.js' {
  interface DomainStatusLists {
    forwards: ForwardInfo[];
    proxies: ProxyInfo[];
  }
}

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A connection to a local forward. */
    forward: true;
    /** A connection to a local SOCKS proxy. */
    socks: true;
    /** A connection to a local HTTP proxy. */
    http: true;
    /** A client flow of a UDP forward. */
    udp: true;
    /** A peer's tcp-connect served here. */
    'tcp-exit': true;
    /** A peer's UDP flow (udp-connect) served here. */
    'udp-exit': true;
    /** A connection a peer's reverse listener sent back here. */
    reverse: true;
    /** A client flow a peer's reverse UDP listener sent back here. */
    'reverse-udp': true;
    /**
     * A connection or UDP flow a listener held here for a peer's reverse forward accepted, going to that
     * peer.
     */
    'reverse-served': true;
  }
}

declare module '../core/permissions.js' {
  interface PermissionWords {
    /** Forwards and proxies that exit here. */
    forward: true;
    /** Reverse forwards that listen here. */
    listen: true;
  }
}

declare module '../api/contract-piece.js' {
  interface DomainSettings {
    /** The saved forwards and proxies (shares among them): only this domain writes them (saved-forwards.ts). */
    forwards: { entry: SavedForwardEntry; change: 'forward' };
  }
}
