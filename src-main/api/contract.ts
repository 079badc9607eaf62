/**
 * The one API contract (architecture.md §The API contract and its transports): every command a client
 * (CLI, Electron renderer, web UI) can send to the agent, with its parameter schema (validated at every
 * transport boundary) and its result type, and the events the agent pushes. Transports only move
 * `{ method, params }` and results; they never know what a method means.
 *
 * The contract is open (docs/adr/0085-domains-as-plug-ins.md): this module holds the node's own
 * vocabulary (peers: contract-peers.ts, pairing: contract-pairing.ts, the node itself:
 * contract-node.ts, the owner's devices: contract-mine.ts) and names no domain. Each domain brings its
 * piece from its own folder (`<folder>/<name>-contract.ts`): for the types it adds its methods to
 * `ContractMethods` and its events to `ApiEvents` with `declare module` (the tsconfigs include every
 * such file by a glob; its streaming methods to `StreamMethods`), and at run time its DomainDescription carries the piece, from which
 * contract-registry.ts builds the schemas the transports check against.
 */
import type { z } from 'zod';
import type { ContractPiece, MethodsOf } from './contract-piece.js';
import { mineMethodParams, type MineEvents, type MineMethodResults } from './contract-mine.js';
import { nodeMethodParams, type NodeEvents, type NodeMethodResults } from './contract-node.js';
import { pairingMethodParams, type PairingMethodResults } from './contract-pairing.js';
import { peerMethodParams, type PeerMethodResults } from './contract-peers.js';

/**
 * Every method, by name: its params (as its schema gives them) and its result. The node's own here;
 * each domain's contract file adds its own.
 */
export interface ContractMethods
  extends
    MethodsOf<typeof peerMethodParams, PeerMethodResults>,
    MethodsOf<typeof pairingMethodParams, PairingMethodResults>,
    MethodsOf<typeof nodeMethodParams, NodeMethodResults>,
    MethodsOf<typeof mineMethodParams, MineMethodResults> {}

export type MethodName = Extract<keyof ContractMethods, string>;
export type MethodParams<M extends MethodName> = ContractMethods[M]['params'];
/** Result type of each method. */
export type MethodResults = { [M in MethodName]: ContractMethods[M]['result'] };

/**
 * Every streaming method (a request whose reply turns the connection into the method's own byte
 * channel: stream-upgrade.ts), by name: its params and the reply's result. Empty here: the node has
 * none of its own; a domain's contract file adds its own (ContractPiece.streams).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface StreamMethods {}

export type StreamMethodName = Extract<keyof StreamMethods, string>;
export type StreamMethodParams<M extends StreamMethodName> = StreamMethods[M]['params'];
/** The reply's `result` for each streaming method. */
export type StreamMethodResults = { [M in StreamMethodName]: StreamMethods[M]['result'] };

/** Events pushed to subscribed clients: the node's own here; each domain's contract file adds its own. */
export interface ApiEvents extends NodeEvents, MineEvents {}

/**
 * What a subscriber asks of its events (ADR 0059); every field may be left out. Empty here: a domain
 * whose events a client picks between adds its option (ContractPiece.eventOptions).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface EventOptions {}

/** What a transport calls: the agent implements this. */
export interface ApiHandler {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]>;
  onEvent(
    listener: <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void,
    options?: EventOptions,
  ): () => void;
}

/** The node's own pieces of the contract, which every agent answers whatever its domains. */
export const nodeContract: readonly ContractPiece[] = [
  { methods: nodeMethodParams },
  { methods: peerMethodParams },
  { methods: pairingMethodParams },
  { methods: mineMethodParams },
];

/** A method's parameter schema's type. */
export type ParamsSchema<M extends MethodName> = z.ZodType<MethodParams<M>>;

export type { ContractPiece, EventPolicy, MethodsOf, ParamsContext, ParamsMaker } from './contract-piece.js';
export type { Permission } from '../core/permissions.js';
export {
  AUDIT_EVENT_INTERVAL_MS,
  AUDIT_LIST_MAX,
  CONNECTIONS_EVENT_INTERVAL_MS,
  STATUS_EVENT_INTERVAL_MS,
} from './contract-node.js';
export type {
  AuditListResult,
  AuditWrittenEvent,
  NatStatus,
  NodeEvents,
  NoticeEvent,
  NoticeKind,
  NoticeKinds,
  ProcessMemory,
  RelayStatus,
  StatusResult,
  UiUrlResult,
} from './contract-node.js';
export type { PeerInfo, PeerState, PingResult } from './contract-peers.js';
export { MAX_PAIR_CODE_TTL_MS, MAX_PAIR_JOIN_TIMEOUT_MS, MIN_PAIR_CODE_TTL_MS } from './contract-pairing.js';
export type { PairJoinResult, PairListResult, PairNewResult, PendingInfo } from './contract-pairing.js';
export type {
  ChangeDomain,
  ConnectionInfo,
  ConnectionKind,
  ConnectionKinds,
  ConnectionPeer,
  ConnectionsEvent,
  ChangedEvent,
  DomainStatusLists,
  PairingEvent,
  PairingStep,
  RelayProbeResult,
  RelaySettingInfo,
  SettingsResult,
  SettingsSetResult,
  StatusEvent,
} from './contract-types.js';
