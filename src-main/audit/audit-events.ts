/**
 * What the audit log records (docs/security.md §Audit log): one JSON object per line of `audit.log`,
 * a discriminated union on `kind`. The node's kinds are here; a domain brings its own (ADR 0093): its
 * contract piece's `audit` makes their fields and its contract file adds their types to
 * `DomainAuditKinds`, so this layer names none. The schema is for reading: a line written by this
 * release always passes it, and a line that does not (a torn write, a hand edit, a future field's
 * wrong type, a kind no domain of this process brings) is skipped and counted by the reader, never
 * trusted. Pure (zod only): the window imports the types.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { AuditFieldsMaker, DomainAuditKinds, SessionFields, SessionKind } from './audit-kinds.js';

export const AUDIT_PATHS = ['direct', 'relay', 'route'] as const;
export const AUDIT_OUTCOMES = ['ok', 'refused', 'failed'] as const;

/** The longest each free-text field may be (the schema's limits, which the writer clips to). */
export const AUDIT_TEXT_LIMITS = {
  what: 500,
  reason: 1000,
  address: 300,
  connection: 40,
  step: 40,
  service: 60,
  peerName: 200,
  group: 200,
} as const;

// Made on use (core/made-on-use.ts, ADR 0073): the agent writes events without this schema, and reads
// the log back only when asked (`audit`), so it builds the schema then and not when this module loads.
const text = (max: number) => z.string().max(max);
const count = () => z.number().int().nonnegative();

const auditPeerSchema = () =>
  z.object({
    name: text(AUDIT_TEXT_LIMITS.peerName),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  });

/** Fields every event has; `peer`, `path` and `address` when there is one and it is known. */
const base = () => ({
  /** ISO time the event happened (not when it was written). */
  time: z.iso.datetime(),
  peer: auditPeerSchema().optional(),
  /** The groups that let the peer in, when it is a member's device rather than a peer (`lab`). */
  group: text(AUDIT_TEXT_LIMITS.group).optional(),
  path: z.enum(AUDIT_PATHS).optional(),
  /** The far end's address on that path (`198.51.100.7:7443`, a relay URL). */
  address: text(AUDIT_TEXT_LIMITS.address).optional(),
  /** What it was about: a service, a target, a forward's name, a permission. */
  what: text(AUDIT_TEXT_LIMITS.what),
  outcome: z.enum(AUDIT_OUTCOMES),
  /** Why it was refused or failed, or how it ended. */
  reason: text(AUDIT_TEXT_LIMITS.reason).optional(),
});

/**
 * On a refusal: how many refusals this one line stands for, when more than one (audit-noise.ts: past
 * the first of a minute they are counted, not written one by one). Absent: one.
 */
const manyCount = () => count().optional();

/** Bytes and time of something that ended (a connection, a session). */
const traffic = () => ({ bytesIn: count(), bytesOut: count(), durationMs: count() });

/**
 * The kinds the domains of this process brought (ContractPiece.audit), empty until the contract of
 * its domains is built (api/contract-registry.ts) or the CLI adds them before it reads the log: a
 * line of a kind no domain here brings is skipped and counted, as any line this release cannot read.
 */
let domainKinds: ReadonlyMap<string, AuditFieldsMaker> = new Map();

/** What brings audit kinds: a contract piece (api/contract-piece.ts ContractPiece). */
export interface AuditKindsPiece {
  readonly audit?: { readonly [kind: string]: AuditFieldsMaker } | undefined;
}

/**
 * Adds the audit kinds `pieces` bring (the union of every call; a piece given again counts once).
 * @throws Error when two pieces bring one kind, or one brings a kind of the node's
 */
export function addAuditKinds(pieces: readonly AuditKindsPiece[]): void {
  const next = new Map(domainKinds);
  for (const piece of pieces) {
    for (const [kind, make] of Object.entries(piece.audit ?? {})) {
      if ((NODE_AUDIT_KINDS as readonly string[]).includes(kind))
        throw new Error(`a domain brings the audit kind '${kind}', the node's own`);
      const had = next.get(kind);
      if (had !== undefined && had !== make) throw new Error(`two domains bring the audit kind '${kind}'`);
      next.set(kind, make);
    }
  }
  if (next.size !== domainKinds.size) {
    domainKinds = next;
    made = undefined;
  }
}

/**
 * The node's own kinds: the members of `nodeKindSchemas` below (the type check fails when the two
 * name different kinds: NodeAuditKindsListed). Listed rather than read from the schemas: every agent
 * checks its domains' kinds against them as it starts, and would otherwise build all of the node's
 * schemas then only to read their names.
 */
export const NODE_AUDIT_KINDS = [
  'connection',
  'listener',
  'pairing',
  'approval',
  'permission',
  'peer',
  'member',
  'refused',
  'port-mapping',
  'audit',
] as const;

function makeAuditEventSchema(kinds: ReadonlyMap<string, AuditFieldsMaker>) {
  const node = nodeKindSchemas();
  const domain = [...kinds].map(([kind, make]) =>
    z.object({ kind: z.literal(kind), ...base(), ...make(z) }),
  ) as unknown as typeof node;
  // Typed as the node's: the domains' kinds are typed by DomainAuditKinds (AuditEvent), not here.
  return z.discriminatedUnion('kind', [...node, ...domain]);
}

type AuditEventSchema = ReturnType<typeof makeAuditEventSchema>;

let made: (() => AuditEventSchema) | undefined;

/**
 * The schema of a line, with the kinds of this process's domains; made on use (ADR 0073). What it
 * reads is an AuditEvent (parseAuditLine).
 */
export function auditEventSchema(): AuditEventSchema {
  if (made === undefined) {
    const kinds = domainKinds;
    made = madeOnUse(() => makeAuditEventSchema(kinds));
  }
  return made();
}

const nodeKindSchemas = () =>
  [
    /** A forward, proxy, exit, reverse, relay-circuit or hop connection ended: its summary. */
    z.object({
      kind: z.literal('connection'),
      ...base(),
      connection: text(AUDIT_TEXT_LIMITS.connection),
      ...traffic(),
    }),
    /** A listener this node opened for a peer's reverse forward, or closed. */
    z.object({
      kind: z.literal('listener'),
      ...base(),
      phase: z.enum(['opened', 'closed']),
      count: manyCount(),
    }),
    /** A pairing moved on (a joiner passed the code, paired, was rejected, failed, was refused). */
    z.object({
      kind: z.literal('pairing'),
      ...base(),
      role: z.enum(['new', 'join']),
      step: text(AUDIT_TEXT_LIMITS.step),
      count: manyCount(),
    }),
    /** The owner decided on a request to pair. */
    z.object({ kind: z.literal('approval'), ...base(), decision: z.enum(['approved', 'rejected']) }),
    /** What a peer may do here changed. */
    z.object({
      kind: z.literal('permission'),
      ...base(),
      before: z.array(text(20)).max(10),
      after: z.array(text(20)).max(10),
    }),
    /** A peer was added, removed, renamed, blocked or unblocked. */
    z.object({
      kind: z.literal('peer'),
      ...base(),
      change: z.enum(['added', 'removed', 'renamed', 'blocked', 'unblocked']),
    }),
    /**
     * One of the owner's devices (ADR 0056) was introduced here, removed here, or marked / unmarked
     * as one; `by`: the device whose owner decided it (this node for the owner's own commands).
     */
    z.object({
      kind: z.literal('member'),
      ...base(),
      change: z.enum(['introduced', 'removed', 'marked', 'unmarked']),
      by: auditPeerSchema(),
    }),
    /** A peer's stream refused here (no permission, unknown service, removed). */
    z.object({
      kind: z.literal('refused'),
      ...base(),
      service: text(AUDIT_TEXT_LIMITS.service),
      count: manyCount(),
    }),
    /**
     * A port mapping this node asked its router for (UPnP IGD or NAT-PMP) was made, or removed at stop:
     * `what` names the protocol and router, `address` the external address it opened.
     */
    z.object({
      kind: z.literal('port-mapping'),
      ...base(),
      change: z.enum(['made', 'removed']),
    }),
    /** The log's own news: events it had to drop (the queue was full, the disk refused). */
    z.object({ kind: z.literal('audit'), ...base(), dropped: count() }),
  ] as const;

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** The type check fails here when NODE_AUDIT_KINDS and the node's schemas above name different kinds. */
export type NodeAuditKindsListed = Holds<
  Equal<(typeof NODE_AUDIT_KINDS)[number], z.output<ReturnType<typeof nodeKindSchemas>[number]>['kind']>
>;

/** Fields every record has, as read. */
type BaseFields = z.output<z.ZodObject<ReturnType<typeof base>>>;

/** A record of one of the domains' kinds. */
export type DomainAuditEvent = {
  [K in keyof DomainAuditKinds]: { kind: K } & BaseFields & DomainAuditKinds[K];
}[keyof DomainAuditKinds];

export type AuditEvent = z.output<ReturnType<typeof nodeKindSchemas>[number]> | DomainAuditEvent;
export type AuditPeer = z.infer<ReturnType<typeof auditPeerSchema>>;

/** An event as an owner hands it over: the writer stamps the time when it is not given. */
export type AuditInput = AuditEvent extends infer E
  ? E extends AuditEvent
    ? Omit<E, 'time'> & { time?: string }
    : never
  : never;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * `event` with every free-text field cut to what the schema reads back (a long command line, a long
 * reason from a peer): a line the reader would refuse is a line lost, so the writer never writes one.
 */
export function clipAuditEvent<E extends AuditInput>(event: E): E {
  const out: Record<string, unknown> = { ...event };
  for (const [key, max] of Object.entries(AUDIT_TEXT_LIMITS)) {
    if (key === 'peerName') continue;
    const value = out[key];
    if (typeof value === 'string') out[key] = clip(value, max);
  }
  if (event.peer) out.peer = { ...event.peer, name: clip(event.peer.name, AUDIT_TEXT_LIMITS.peerName) };
  return out as E;
}

/**
 * One line of the file → its event, or null for anything that is not one (not JSON, not an object
 * this schema knows). Never throws: the reader counts nulls.
 */
export function parseAuditLine(line: string): AuditEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = auditEventSchema().safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** A record of a session, of whichever domain's kind writes its sessions' records (SessionKind). */
export type SessionEvent = { kind: SessionKind } & BaseFields & SessionFields;

/** Whether `e` is a session's record: only those have both a phase and a side. */
export function isSessionEvent(e: AuditEvent): e is SessionEvent {
  return 'side' in e && 'phase' in e;
}
