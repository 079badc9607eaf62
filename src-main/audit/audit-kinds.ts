/**
 * What a domain brings to the audit log (ADR 0093): its kinds of record, each with its fields beyond
 * every record's (audit-events.ts), made by its contract piece's `audit` and typed by its contract
 * file's `DomainAuditKinds`. Without zod (it is handed over): a contract piece imports this and a
 * client loads the piece without zod.
 */
import type { z } from 'zod';

/** zod's builder, as a domain's audit fields are made with it (handed over: a piece loads no zod). */
export type AuditZod = typeof z;

/** Makes the fields of a domain's audit kind beyond the ones every record has. */
export type AuditFieldsMaker = (z: AuditZod) => z.ZodRawShape;

/** The fields `make` makes, as a record of its kind carries them: for a domain's `DomainAuditKinds`. */
export type AuditFieldsOf<M extends AuditFieldsMaker> = z.output<z.ZodObject<ReturnType<M>>>;

/**
 * The fields of a session record (a connection the domain's piece calls a session: ConnectionPolicy),
 * which the node writes as it starts, resumes and ends; a domain whose kind has them lets the node
 * write its sessions' records (app/audit-hooks.ts). `served` on this node for a peer, `opened` here
 * on a peer. `resume`: the session of an earlier `start` carries on — its stream came back over
 * another link (a path change: `path` and `address` name the new one), or an agent started since took
 * it up (after a restart: the agent before it could not write its end).
 */
export const sessionFields = (zod: AuditZod) => ({
  phase: zod.enum(['start', 'resume', 'end']),
  side: zod.enum(['served', 'opened']),
  bytesIn: zod.number().int().nonnegative().optional(),
  bytesOut: zod.number().int().nonnegative().optional(),
  durationMs: zod.number().int().nonnegative().optional(),
});

export type SessionFields = AuditFieldsOf<typeof sessionFields>;

/**
 * The domains' audit kinds, by kind, each with its fields beyond every record's: each domain's
 * contract file adds its own by declaration merging (as `PermissionWords`), its piece brings their
 * schema (`ContractPiece.audit`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
export interface DomainAuditKinds {}

/** A kind of record whose fields are a session's: the node writes them for the domain. */
export type SessionKind = {
  [K in keyof DomainAuditKinds]: DomainAuditKinds[K] extends SessionFields ? K : never;
}[keyof DomainAuditKinds];
