/**
 * What one piece of the API contract is: the node's own parts (contract-peers.ts, contract-pairing.ts,
 * contract-node.ts, contract-mine.ts) and each domain's (`<folder>/<name>-contract.ts`, listed by its
 * DomainDescription) bring their methods, permission words and events in this shape, and
 * contract-registry.ts builds one contract of them (docs/adr/0085-domains-as-plug-ins.md). The types
 * come by declaration merging: a piece adds its methods to contract.ts `ContractMethods` (its streaming
 * methods to `StreamMethods`), its notice kinds to contract-node.ts `NoticeKinds`, its events to
 * `ApiEvents` and its words to core/permissions.ts `PermissionWords`; and, beside the API, the settings
 * section it owns to `DomainSettings` and its run options to `DomainRunOptions` (both below, ADR 0091).
 */
import type { z } from 'zod';
import type { AuditFieldsMaker } from '../audit/audit-kinds.js';
import type { Permission, PermissionWord } from '../core/permissions.js';

/** zod's builder, as a schema maker is given it. */
export type Zod = typeof z;

/**
 * What a parameter schema is made with: zod itself (handed over, so a contract piece loads no zod: the
 * CLI reads the domains' pieces for their permission words and stays without it) and the permission
 * words of the contract it is part of.
 */
export interface ParamsContext {
  readonly z: Zod;
  /** One permission word this node knows. */
  permission(): z.ZodType<Permission>;
  /** A list of them (each at most once is not checked: the agent keeps each once). */
  allowList(): z.ZodType<Permission[]>;
  /** The `settings.set` parameters of the settings the domains bring (SettingsOption), each optional. */
  domainOptions(): z.ZodRawShape;
}

/**
 * One setting of config.json a domain brings, a single value, which the owner changes with the node's
 * `settings.set` (under the same key) and reads with `settings.get`: its changes are announced as
 * the node's options are (`option`). Its types: `DomainSettings` (`{ option: T }`) and the
 * contract's `SettingsResult`.
 */
export interface SettingsOption {
  /** Its schema in the file, handed zod, with the default a file without it reads as. */
  readonly option: (z: Zod) => z.ZodType;
  /** Its parameter of `settings.set` (optional there), checked before anything changes. */
  readonly set: (z: Zod) => z.ZodType;
}

/** Makes a method's parameter schema, on the method's first call (core/made-on-use.ts, ADR 0073). */
export type ParamsMaker = (c: ParamsContext) => z.ZodType;

/**
 * A piece's methods as `ContractMethods` entries: each one's params (what its schema gives) and result.
 * `interface ContractMethods extends MethodsOf<typeof params, Results> {}` in a piece's `declare module`
 * (and `interface StreamMethods extends MethodsOf<typeof streams, StreamResults> {}` for its streams).
 */
export type MethodsOf<
  P extends { readonly [method: string]: ParamsMaker },
  R extends { [M in keyof P]: unknown },
> = { [M in keyof P]: { params: z.output<ReturnType<P[M]>>; result: R[M] } };

/** How the API's event hub follows one of a domain's events (app/api/events.ts). */
export interface EventPolicy {
  /** Something the status shows moved with it: a status event follows. */
  readonly status?: true;
  /**
   * Followed only while some client takes it, and sent only to those: a client takes it when its
   * subscription's `option` (EventOptions) is `is`, or, with `byDefault`, when it does not say.
   */
  readonly when?: { readonly option: string; readonly is: string; readonly byDefault?: true };
}

/** Where a domain's notices go besides the log and a CLI agent's stderr (state/notices.ts). */
export interface NoticePolicy {
  /**
   * The API's event subscribers get them as `notice` events (the window shows them: it has no other
   * way to learn of them). Without it a notice is news the window shows in its own way, if at all.
   */
  readonly toClients?: true;
}

/** What the audit log makes of a connection kind a piece brings (contract-types.ts `ConnectionKinds`). */
export interface ConnectionPolicy {
  /**
   * Its connections are sessions, logged as start, resume and end on this side, not as one line when
   * they end: records of the piece's audit kind `record`, whose fields are a session's
   * (audit/audit-kinds.ts sessionFields).
   */
  readonly session?: { readonly side: 'served' | 'opened'; readonly record: string };
}

/** One piece of the contract. */
export interface ContractPiece {
  /** Its methods' parameter schemas, by method name. */
  readonly methods?: { readonly [method: string]: ParamsMaker };
  /**
   * Its streaming methods' parameter schemas, by method name: requests whose reply turns the
   * connection into the method's byte channel (stream-upgrade.ts), added to contract.ts
   * `StreamMethods` as methods are to `ContractMethods`.
   */
  readonly streams?: { readonly [method: string]: ParamsMaker };
  /**
   * Checks by hand, for methods called by the thousand: params when they are certainly valid, else
   * undefined, and the schema says what is wrong (ADR 0059).
   */
  readonly fastParams?: { readonly [method: string]: (params: unknown) => unknown };
  /** The permission words it brings, each with what it means. */
  readonly permissions?: { readonly [word: string]: PermissionWord };
  /** Every event it pushes, with how it is followed (`{}`: sent to every client that subscribed). */
  readonly events?: { readonly [event: string]: EventPolicy };
  /** The notice kinds it brings (contract-node.ts `NoticeKinds`), with where each goes. */
  readonly notices?: { readonly [kind: string]: NoticePolicy };
  /** The connection kinds it brings (`ConnectionKinds`) that are more than a connection to the audit log. */
  readonly connections?: { readonly [kind: string]: ConnectionPolicy };
  /** The subscription options (`events.subscribe` params) it reads, each with the values it takes. */
  readonly eventOptions?: { readonly [option: string]: readonly string[] };
  /**
   * The sections of config.json it owns, by key (their types: `DomainSettings`): the settings schema is
   * the node's own and these (state/settings.ts), so the state layer names none (ADR 0093).
   */
  readonly settings?: { readonly [key: string]: SettingsSection | SettingsOption };
  /**
   * The kinds of audit record it brings, each with its fields beside every record's (their types:
   * audit/audit-kinds.ts `DomainAuditKinds`; ADR 0093).
   */
  readonly audit?: { readonly [kind: string]: AuditFieldsMaker };
}

/**
 * A section of config.json a domain owns: a list of entries, each found by one field. What the store
 * does with every list of the file it does with this one: checks it on every read and write, keeps a
 * newer release's fields on its entries, refuses two entries under one key, announces each entry
 * added, changed or removed as a change of kind `change`.
 */
export interface SettingsSection {
  /** One entry's schema, handed zod (made when the file is read or changed, ADR 0073). */
  readonly entry: (z: Zod) => z.ZodObject;
  /** At most this many entries. */
  readonly max: number;
  /** The field that identifies an entry: unique in the list, the id of its changes. */
  readonly key: string;
  /** The kind its entries' changes are announced as (state/state-changes.ts). */
  readonly change: string;
}

/**
 * The settings sections the domains own, by key (a key of the settings: state/settings-sections.ts),
 * each as `{ entry: <one entry's type>; change: '<its change kind>' }` (a list) or `{ option: <its
 * type> }` (one value, SettingsOption): each domain's contract file adds
 * its own by declaration merging, as `PermissionWords`, and its piece brings the schema
 * (`ContractPiece.settings`), so the node names none. Declared here, where every program that reads a
 * contract file sees it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
export interface DomainSettings {}

/**
 * Options a process gives a domain when it starts an agent (run-agent.ts `domainOptions`), keyed by
 * the domain's name: each domain's contract file adds its own by declaration merging, so the host
 * (links/domain.ts) names none.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
export interface DomainRunOptions {}
