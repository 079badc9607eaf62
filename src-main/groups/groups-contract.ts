/**
 * The groups domain's part of the API contract (docs/adr/0089-groups.md, ADR 0092): a group is a named
 * set of the owner's devices shared with members. The owner (any of its "mine" devices) creates one,
 * adds and drops its own devices, sets what members may do there, removes members, deletes it; a
 * member lists it and leaves. Every `group` parameter takes the group's name or its id. Invitations
 * and the members' session history are the group-members domain's, built on this one
 * (group-members/group-members-contract.ts). Pure, and without zod (its makers are given it).
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import type { AuditFieldsOf } from '../audit/audit-kinds.js';

const groupRef = (z: Zod) => z.string().min(1).max(200);
const deviceRefs = (z: Zod) => z.array(z.string().min(1).max(200)).min(1).max(64);

export const groupsMethodParams = {
  /** Creates a group owned by this node's person, with no device yet and `terminal` for members. */
  'groups.create': ({ z }: ParamsContext) => z.object({ name: z.string().min(1).max(64) }).strict(),
  /** Adds the owner's own devices (this node, or peers marked mine) to a group, by name or fingerprint. */
  'groups.add': ({ z }: ParamsContext) => z.object({ group: groupRef(z), devices: deviceRefs(z) }).strict(),
  /** Drops devices from a group: members' streams to them end. */
  'groups.drop': ({ z }: ParamsContext) => z.object({ group: groupRef(z), devices: deviceRefs(z) }).strict(),
  /** Sets what members may do on the group's devices (the whole list; words this node knows). */
  'groups.allow': (c: ParamsContext) =>
    c.z.object({ group: groupRef(c.z), permissions: c.allowList() }).strict(),
  /** Renames a group everywhere its records go (members see the new name once it reaches them). */
  'groups.rename': ({ z }: ParamsContext) =>
    z.object({ group: groupRef(z), name: z.string().min(1).max(64) }).strict(),
  /** The groups this node's person owns or belongs to. */
  'groups.list': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Removes a member (by the name `groups.list` shows, or its root's fingerprint) everywhere. */
  'groups.remove': ({ z }: ParamsContext) =>
    z.object({ group: groupRef(z), member: z.string().min(1).max(200) }).strict(),
  /** A member leaves a group: its devices stop being let in. */
  'groups.leave': ({ z }: ParamsContext) => z.object({ group: groupRef(z) }).strict(),
  /** Deletes a group: every member's access to its devices ends. */
  'groups.delete': ({ z }: ParamsContext) => z.object({ group: groupRef(z) }).strict(),
} as const;

/** One device of a group, with how this node reaches it now. */
export interface GroupDeviceInfo {
  name: string;
  fingerprint: string;
  /** True for this node itself. */
  self: boolean;
  online: boolean;
  /** The path this node's link to it is on, while it is online. */
  path: 'direct' | 'relay' | 'route' | null;
  /** Why it is offline, when known. */
  why: string | null;
}

/** A member (a person) as the owner sees it. */
export interface GroupMemberInfo {
  name: string;
  /** The root device, which accepted the invitation. */
  root: string;
  devices: { name: string; fingerprint: string }[];
}

/** One group as this node sees it. */
export interface GroupInfo {
  id: string;
  name: string;
  role: 'owner' | 'member';
  /** What members may do on the group's devices. */
  permissions: string[];
  devices: GroupDeviceInfo[];
  /** Only in the owner's view: members do not see each other. */
  members?: GroupMemberInfo[];
}

export interface GroupsMethodResults {
  'groups.create': { group: GroupInfo };
  'groups.add': { group: GroupInfo };
  'groups.drop': { group: GroupInfo };
  'groups.allow': { group: GroupInfo };
  'groups.rename': { group: GroupInfo };
  'groups.list': { groups: GroupInfo[] };
  'groups.remove': { group: GroupInfo };
  'groups.leave': { group: { id: string; name: string } };
  'groups.delete': { group: { id: string; name: string } };
}

/** The groups' events: something about them changed here (a decision, records from a device). */
export interface GroupsEvents {
  'groups.changed': { groups: GroupInfo[] };
}

/** What a `group-change` line of the audit log says happened (group-audit.ts). */
export const GROUP_AUDIT_CHANGES = [
  'created',
  'renamed',
  'allowed',
  'deleted',
  'device-added',
  'device-dropped',
  'member-added',
  'member-removed',
  'member-left',
  'member-device-added',
  'member-device-removed',
  'owner-added',
  'owner-removed',
  'joined',
] as const;
export type GroupAuditChange = (typeof GROUP_AUDIT_CHANGES)[number];

/**
 * A `group-change` line's fields beyond every record's (its `group` the group's name, its `peer` the device
 * the change is about): what changed, and the device that signed it — the owner's device that
 * decided it, or the member's that left.
 */
const groupAuditFields = (z: Zod) => ({
  change: z.enum(GROUP_AUDIT_CHANGES),
  by: z.object({ name: z.string().max(200), fingerprint: z.string().regex(/^[0-9a-f]{64}$/) }),
});

/** What the groups domain brings to the contract at run time. */
export const groupsContract = {
  methods: groupsMethodParams,
  events: { 'groups.changed': {} },
  audit: { 'group-change': groupAuditFields },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof groupsMethodParams, GroupsMethodResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ApiEvents extends GroupsEvents {}
}

declare module '../api/contract-types.js' {
  interface DomainStatusLists {
    /**
     * The groups this node owns or belongs to, as `groups.list` answers (the tray lists them); absent
     * from an agent without the groups domain.
     */
    groups?: GroupInfo[];
  }
}

declare module '../audit/audit-kinds.js' {
  interface DomainAuditKinds {
    /** A change of a group that took effect on this device (group-audit.ts). */
    'group-change': AuditFieldsOf<typeof groupAuditFields>;
  }
}
