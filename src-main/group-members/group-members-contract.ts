/**
 * The group members' part of the API contract (docs/adr/0089-groups.md, slices "Invitation" and
 * "history per group"): an owner's device invites to a group with a one-time code (`groups.invite`),
 * lists and cancels its invitations, a member's device joins with the code (`groups.join`), and the
 * owner sees the members' terminal sessions on the group's devices (`groups.history`). Pure, without
 * zod (its makers are given it); group-members-domain.ts lists it, invitations.ts and
 * group-history.ts answer it.
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import type { AuditFieldsOf } from '../audit/audit-kinds.js';

/** Shortest and longest lifetime of an invitation, in ms (as a pairing code's: 10 s to 24 h). */
export const MIN_INVITATION_TTL_MS = 10_000;
export const MAX_INVITATION_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * What starts a group invitation's link: `clawbridge://group?invite=<code>&relay=…`, a pairing invite's
 * parameters under its own action, so the desktop app (and `pair join`) never take it for a pairing
 * invite and burn its code meeting the inviter as a pairing issuer.
 */
export const GROUP_LINK_PREFIX = 'clawbridge://group?';

/** A group as a command names it: its name or its id. */
const groupRef = ({ z }: ParamsContext) => z.string().min(1).max(200);
/** A code as read aloud, or its link (an invite). */
const codeText = ({ z }: ParamsContext) => z.string().min(1).max(2048);

export const groupInvitationParams = {
  /** A one-time code (and link) that makes the device entering it a member of `group`, owned here. */
  'groups.invite': (c: ParamsContext) =>
    c.z
      .object({
        group: groupRef(c),
        ttlMs: c.z.number().int().min(MIN_INVITATION_TTL_MS).max(MAX_INVITATION_TTL_MS).optional(),
      })
      .strict(),
  /** Open invitations, then the last that ended (used, cancelled, expired); `group` narrows them. */
  'groups.invitations': (c: ParamsContext) => c.z.object({ group: groupRef(c).optional() }).strict(),
  /** Cancels an open invitation by its code, link or id. */
  'groups.cancelInvitation': (c: ParamsContext) => c.z.object({ code: codeText(c) }).strict(),
  /** Joins the group whose invitation `code` (or its link) is: this device becomes its member. */
  'groups.join': (c: ParamsContext) => c.z.object({ code: codeText(c) }).strict(),
} as const;

/** A device as the invitations name it. */
export interface InvitationDevice {
  name: string;
  fingerprint: string;
}

/** One invitation, as listed. */
export interface InvitationInfo {
  id: string;
  group: { id: string; name: string };
  /** The code to read aloud, e.g. `K7QX-M2RT-9WZA`. */
  code: string;
  /** The code with where to meet this node (`clawbridge://join?invite=…`). */
  link: string;
  expiresAt: string;
  /** `open` while the code may be met; then how it ended. */
  state: 'open' | 'used' | 'cancelled' | 'expired';
  /** The device that met the code (the PAKE confirmed it), with its short fingerprint to compare. */
  by?: InvitationDevice & { short: string };
  endedAt?: string;
  /** Why the code was met and no member came of it. */
  problem?: string;
}

/** What `groups.join` answers: the group, the inviter the PAKE confirmed, the group's devices. */
export interface JoinResult {
  group: { id: string; name: string };
  inviter: InvitationDevice;
  /** How the inviter was met (`relay <url>`, `lan`). */
  via: string;
  devices: InvitationDevice[];
}

interface GroupInvitationResults {
  'groups.invite': InvitationInfo;
  'groups.invitations': { invitations: InvitationInfo[] };
  'groups.cancelInvitation': InvitationInfo;
  'groups.join': JoinResult;
}

export const groupHistoryParams = {
  /** The members' sessions on the devices of `group` (its name or id), owned here: newest first. */
  'groups.history': ({ z }: ParamsContext) => z.object({ group: z.string().min(1).max(200) }).strict(),
} as const;

/** A device as the history names it. */
export interface HistoryDevice {
  name: string;
  fingerprint: string;
}

/** One session a member's device had on one of the group's devices. */
export interface HistorySession {
  /** The group's device the session ran on. */
  device: HistoryDevice;
  /** The member (by the name `group ls` shows), when the owner still knows the device as its. */
  member: string | null;
  /**
   * When `member` is null: the member's name as the group's device knew it then (its devices are
   * named MEMBER/DEVICE there), for a member that was removed or left since.
   */
  formerMember?: string;
  /** The member's device that opened it, as the group's device knew it then. */
  memberDevice: HistoryDevice;
  /** ISO times; `end` null while it is open (or its agent stopped without writing it). */
  start: string;
  end: string | null;
  /** How it ended, when it did. */
  reason?: string;
  path?: 'direct' | 'relay' | 'route';
}

/** What each of the group's devices answered. */
export interface HistorySource {
  device: HistoryDevice;
  /** False when it could not be asked (offline, not a peer here, refused): `why` says. */
  answered: boolean;
  why?: string;
}

export interface HistoryResult {
  group: { id: string; name: string };
  sessions: HistorySession[];
  sources: HistorySource[];
}

/** The invitations' event: what `groups.invitations` answers now, after each change. */
export interface GroupMembersEvents {
  'groups.invitations.changed': { invitations: InvitationInfo[] };
}

/**
 * An `invitation` line of the audit log, on the owner's device that made it: made, used (its `peer` the
 * device that met the code, `outcome` whether it became a member), cancelled or expired. Its `what`
 * names the invitation by its id, never its code.
 */
const invitationAuditFields = (z: Zod) => ({
  change: z.enum(['made', 'used', 'cancelled', 'expired']),
});

export const groupMembersContract = {
  methods: { ...groupInvitationParams, ...groupHistoryParams },
  events: { 'groups.invitations.changed': {} },
  audit: { invitation: invitationAuditFields },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof groupInvitationParams, GroupInvitationResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<
    typeof groupHistoryParams,
    { 'groups.history': HistoryResult }
  > {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ApiEvents extends GroupMembersEvents {}
}

declare module '../audit/audit-kinds.js' {
  interface DomainAuditKinds {
    invitation: AuditFieldsOf<typeof invitationAuditFields>;
  }
}
