/**
 * One agent's contract at run time (docs/adr/0085-domains-as-plug-ins.md): the node's own pieces
 * (contract.ts nodeContract) and its domains' (each DomainDescription's `contract`), merged into what
 * the transports check requests against (validate.ts), the permission words the node knows, and how
 * the event hub follows each domain's events. Built by the composition root from the list of domains
 * it runs (app/domains.ts), or by an entry point that checks requests before an agent sees them.
 * Generic: it names no method a domain brings.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { Permission, PermissionVocabulary } from '../core/permissions.js';
import { vocabularyOf, type Vocabulary } from './vocabulary.js';
import {
  nodeContract,
  type ApiHandler,
  type MethodName,
  type MethodParams,
  type ParamsSchema,
  type StreamMethodName,
  type StreamMethodParams,
} from './contract.js';
import type {
  ConnectionPolicy,
  ContractPiece,
  EventPolicy,
  NoticePolicy,
  ParamsContext,
} from './contract-piece.js';
import { addAuditKinds } from '../audit/audit-events.js';

/** How the audit log records one connection kind's sessions. */
export type SessionPolicy = NonNullable<ConnectionPolicy['session']>;

export interface Contract {
  /** True for a method some piece lists. */
  isMethod(name: string): name is MethodName;
  /** Every method, in the pieces' order. */
  methodNames(): MethodName[];
  /** The parameter schema of `method`, made on its first use. */
  paramsSchema<M extends MethodName>(method: M): ParamsSchema<M>;
  /** `method`'s params when a hand-written check finds them certainly valid, else undefined. */
  fastParams(method: MethodName, params: unknown): MethodParams<MethodName> | undefined;
  /** True for a streaming method some piece lists (ContractPiece.streams). */
  isStreamMethod(name: unknown): name is StreamMethodName;
  /** Every streaming method, in the pieces' order. */
  streamMethodNames(): StreamMethodName[];
  /** The parameter schema of the streaming method `method`, made on its first use. */
  streamParamsSchema<M extends StreamMethodName>(method: M): z.ZodType<StreamMethodParams<M>>;
  readonly permissions: PermissionVocabulary;
  /**
   * The permission words and settings sections of this contract's domains: what the composition hands
   * to what parses the settings and the grants (api/vocabulary.ts).
   */
  readonly vocabulary: Vocabulary;
  /** How the event hub follows `event`; undefined: as the node's own, or sent to every client. */
  eventPolicy(event: string): EventPolicy | undefined;
  /** The subscription options, each with the values it takes. */
  readonly eventOptions: ReadonlyMap<string, readonly string[]>;
  /** The notice kinds whose piece sends them to the API's subscribers (NoticePolicy.toClients). */
  readonly clientNotices: ReadonlySet<string>;
  /** The connection kinds that are sessions to the audit log, with their side and record (ConnectionPolicy). */
  readonly sessions: ReadonlyMap<string, SessionPolicy>;
}

/** An API handler with the contract its requests are checked against: what a transport serves. */
export interface ServedApi extends ApiHandler {
  readonly contract: Contract;
}

/**
 * The contract of an agent whose domains bring `domainPieces`, with their vocabulary (permission
 * words, settings sections) for the composition to hand down; their audit kinds are added to the
 * process's audit schema (audit/audit-events.ts addAuditKinds), for the log's reader.
 * @throws Error when two pieces bring the same method (streaming or not), word, event policy, notice
 *   kind or option, or a connection kind's sessions are written as an audit kind no piece brings
 */
export function contractOf(domainPieces: readonly ContractPiece[]): Contract {
  const pieces = [...nodeContract, ...domainPieces];
  const makers = new Map<string, () => z.ZodType>();
  const streams = new Map<string, () => z.ZodType>();
  const fast = new Map<string, (params: unknown) => unknown>();
  const policies = new Map<string, EventPolicy>();
  const options = new Map<string, readonly string[]>();
  const notices = new Map<string, NoticePolicy>();
  const sessions = new Map<string, SessionPolicy>();
  // The agent's own words and sections, handed down by the composition (api/vocabulary.ts).
  const vocabulary = vocabularyOf(pieces);
  const permissions = vocabulary.permissions;
  // And their audit kinds, for the reader (audit/audit-events.ts).
  addAuditKinds(domainPieces);
  const context: ParamsContext = {
    z,
    permission: () => z.enum(permissions.words as [Permission, ...Permission[]]),
    allowList: () => z.array(context.permission()).max(permissions.words.length),
    domainOptions: () =>
      Object.fromEntries(
        pieces.flatMap((piece) =>
          Object.entries(piece.settings ?? {}).flatMap(([key, setting]) =>
            'set' in setting ? [[key, setting.set(z).optional()]] : [],
          ),
        ),
      ),
  };
  const once = <T>(map: Map<string, T>, key: string, value: T, what: string) => {
    if (map.has(key)) throw new Error(`two parts of the contract bring the ${what} '${key}'`);
    map.set(key, value);
  };
  for (const piece of pieces) {
    for (const [method, make] of Object.entries(piece.methods ?? {}))
      once(
        makers,
        method,
        madeOnUse(() => make(context)),
        'method',
      );
    for (const [method, make] of Object.entries(piece.streams ?? {}))
      once(
        streams,
        method,
        madeOnUse(() => make(context)),
        'streaming method',
      );
    for (const [method, check] of Object.entries(piece.fastParams ?? {})) once(fast, method, check, 'check');
    for (const [event, policy] of Object.entries(piece.events ?? {})) once(policies, event, policy, 'event');
    for (const [kind, policy] of Object.entries(piece.notices ?? {}))
      once(notices, kind, policy, 'notice kind');
    for (const [kind, policy] of Object.entries(piece.connections ?? {}))
      if (policy.session) once(sessions, kind, policy.session, 'connection kind');
    for (const [option, values] of Object.entries(piece.eventOptions ?? {}))
      once(options, option, values, 'option');
  }
  // One name space: a control socket tells a streaming request from a method call by its name alone.
  for (const method of streams.keys()) {
    if (makers.has(method)) throw new Error(`two parts of the contract bring the method '${method}'`);
  }
  // A session's records are written as a kind some piece brings: else the reader would skip them all.
  const auditKinds = new Set(pieces.flatMap((p) => Object.keys(p.audit ?? {})));
  for (const [kind, session] of sessions) {
    if (!auditKinds.has(session.record))
      throw new Error(`the sessions of '${kind}' are written as '${session.record}', which no part brings`);
  }
  return {
    isMethod: (name): name is MethodName => makers.has(name),
    methodNames: () => [...makers.keys()] as MethodName[],
    paramsSchema: <M extends MethodName>(method: M) => {
      const make = makers.get(method);
      if (!make) throw new Error(`no part of the contract brings '${method}'`);
      return make() as ParamsSchema<M>;
    },
    isStreamMethod: (name): name is StreamMethodName => typeof name === 'string' && streams.has(name),
    streamMethodNames: () => [...streams.keys()] as StreamMethodName[],
    streamParamsSchema: <M extends StreamMethodName>(method: M) => {
      const make = streams.get(method);
      if (!make) throw new Error(`no part of the contract brings the streaming method '${method}'`);
      return make() as z.ZodType<StreamMethodParams<M>>;
    },
    fastParams: (method, params) => fast.get(method)?.(params) as MethodParams<MethodName> | undefined,
    permissions,
    vocabulary,
    eventPolicy: (event) => policies.get(event),
    eventOptions: options,
    clientNotices: new Set([...notices].filter(([, policy]) => policy.toClients).map(([kind]) => kind)),
    sessions,
  };
}
