/**
 * The groups' API methods (groups-contract.ts): each turns what a person asked into decisions
 * (groups/group-decisions.ts) that the book signs with this node's identity and applies as records
 * from a peer are applied, bounds and all (group-book.ts). Who may do what is the view's: a member's
 * device is refused an owner's operation here with a reason, and an owner's record it signed anyway
 * would count nowhere (groups/group-view.ts).
 */
import { randomBytes } from 'node:crypto';
import { ClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import type { MethodHandlers } from '../links/domain.js';
import type { ReadonlyPeerEntry } from '../links/ports.js';
import { DEFAULT_GROUP_ALLOW, GROUP_ID } from '../protocol/group-records.js';
import type { GroupDecision } from './group-decisions.js';
import type { GroupView } from './group-view.js';
import { fingerprintPrefix, nameKey } from '../state/peer-names.js';
import type { GroupBook } from './group-book-key.js';
import type { GroupStore } from './group-book.js';
import type { GroupDeviceInfo, GroupInfo } from './groups-contract.js';

export interface GroupsApiDeps {
  book: GroupStore;
  self: { fingerprint: string; name(): string };
  /** The peers as the links keep them: the owner's devices to add, and how each is reached. */
  peerEntries(): readonly ReadonlyPeerEntry[];
  peerEntry(fingerprint: string): ReadonlyPeerEntry | undefined;
}

const short = (fp: string) => fp.slice(0, 8);

/** How a device of a group is reached from here. */
function deviceInfo(deps: GroupsApiDeps, d: { fingerprint: string; name: string }): GroupDeviceInfo {
  if (d.fingerprint === deps.self.fingerprint)
    return { name: d.name, fingerprint: d.fingerprint, self: true, online: true, path: null, why: null };
  const entry = deps.peerEntry(d.fingerprint);
  const active = entry?.links.active;
  const why = entry ? (active ? null : offlineWhy(d.name, entry)) : 'not linked';
  return {
    name: d.name,
    fingerprint: d.fingerprint,
    self: false,
    online: entry?.links.online ?? false,
    path: active?.path ?? null,
    why,
  };
}

/** Longest offline reason a device line carries: the rest is `peers`' to show (`peers --wide`). */
export const MAX_OFFLINE_WHY_CHARS = 80;

/**
 * Why a group's device is not linked, in a few words that name it, from what its last attempts
 * observed (reachability/observation.ts): a relay error names the device by fingerprint and runs
 * to a whole sentence, which `group ls` has no room for.
 */
export function offlineWhy(
  name: string,
  entry: Pick<ReadonlyPeerEntry, 'fingerprint' | 'refusal' | 'relay' | 'direct'>,
): string {
  if (entry.refusal) return clipWhy(`${name} refused this node: ${entry.refusal.message}`);
  const relay = entry.relay.lastObserved;
  if (relay?.path === 'relay') {
    switch (relay.kind) {
      case 'not-on-relay':
        return `${name} is not on relay ${relay.relay}`;
      case 'relay-down':
        return `relay ${relay.relay} is not connected here`;
      case 'relay-refused':
        return clipWhy(`relay ${relay.relay} refused: ${relay.message}`);
      default:
        break;
    }
  }
  const last = entry.relay.lastError ?? entry.direct.lastError;
  return last === undefined ? 'not linked yet' : clipWhy(last.replaceAll(entry.fingerprint, name));
}

function clipWhy(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length <= MAX_OFFLINE_WHY_CHARS ? line : `${line.slice(0, MAX_OFFLINE_WHY_CHARS - 1)}…`;
}

/** A group as the API shows it. */
export function groupInfo(deps: GroupsApiDeps, g: GroupView): GroupInfo {
  return {
    id: g.id,
    name: g.name,
    role: g.role,
    permissions: [...g.allow],
    devices: g.devices.map((d) => deviceInfo(deps, d)),
    ...(g.role === 'owner'
      ? {
          members: g.members.map((m) => ({
            name: m.name,
            root: m.root,
            devices: m.devices.map((d) => ({ name: d.name, fingerprint: d.fingerprint })),
          })),
        }
      : {}),
  };
}

/**
 * Whether `g` is one this node is in now: not deleted, and, where its person joined it, that person
 * still a member with this device among its devices (a member removed, gone or whose device was
 * removed keeps the records that say so, but is in the group no more).
 */
export function isLiveGroup(g: GroupView, self: string): boolean {
  if (g.deleted) return false;
  return g.role === 'owner' || g.members.some((m) => m.devices.some((d) => d.fingerprint === self));
}

/** The live groups, as the API shows them. */
export function groupInfos(deps: GroupsApiDeps): GroupInfo[] {
  const self = deps.self.fingerprint;
  return deps.book
    .view()
    .groups.filter((g) => isLiveGroup(g, self))
    .map((g) => groupInfo(deps, g));
}

/**
 * The live group (isLiveGroup) `ref` names in `book`'s view: its id, or its name when one group has it.
 * The group-members domain names groups by it too, so both say the same.
 * @throws ClawError('BAD_ARGUMENT') when none does, or more than one has that name
 */
export function findGroup(book: Pick<GroupBook, 'view'>, ref: string): GroupView {
  const view = book.view();
  const live = view.groups.filter((g) => isLiveGroup(g, view.self));
  const byId = live.find((g) => g.id === ref.toLowerCase());
  if (byId) return byId;
  const byName = live.filter((g) => g.name === ref || nameKey(g.name) === nameKey(ref));
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1)
    throw new ClawError(
      'BAD_ARGUMENT',
      `'${ref}' names ${byName.length} groups; give one's id (${byName.map((g) => g.id).join(', ')})`,
    );
  throw new ClawError(
    'BAD_ARGUMENT',
    ...commandArgs(`no group named '${ref}' (`, hereHint(['group', 'ls']), ' lists them)'),
  );
}

function ownerOnly(g: GroupView, what: string): void {
  if (g.role !== 'owner')
    throw new ClawError(
      'BAD_ARGUMENT',
      `only the owner of group ${g.name} can ${what}: this node is a member's device there`,
    );
}

/** One of the owner's devices by name or fingerprint: this node, or a peer marked mine. */
function ownDevice(deps: GroupsApiDeps, ref: string): { fingerprint: string; name: string } {
  const self = deps.self;
  const prefix = fingerprintPrefix(ref);
  if (nameKey(ref) === nameKey(self.name()) || (prefix !== undefined && self.fingerprint.startsWith(prefix)))
    return { fingerprint: self.fingerprint, name: self.name() };
  const matches = deps
    .peerEntries()
    .filter(
      (e) =>
        e.record.name === ref ||
        nameKey(e.record.name) === nameKey(ref) ||
        (prefix !== undefined && e.fingerprint.startsWith(prefix)),
    );
  if (matches.length === 0)
    throw new ClawError(
      'BAD_ARGUMENT',
      ...commandArgs(
        `no device named '${ref}': a group holds this node (${self.name()}) and its peers marked mine; `,
        hereHint(['peers']),
        ' lists them',
      ),
    );
  if (matches.length > 1)
    throw new ClawError('BAD_ARGUMENT', `'${ref}' could be ${matches.length} peers; give the fingerprint`);
  const entry = matches[0]!;
  if (entry.record.mine !== true)
    throw new ClawError(
      'BAD_ARGUMENT',
      ...commandArgs(
        `${entry.record.name} is not one of this owner's devices: a group holds only devices marked mine (`,
        hereHint(['peers', 'mine', entry.record.name, 'on']),
        ')',
      ),
    );
  return { fingerprint: entry.fingerprint, name: entry.record.name };
}

/** The owner's devices now: this node and its peers marked mine. */
function ownDevices(deps: GroupsApiDeps): { fingerprint: string; name: string }[] {
  return [
    { fingerprint: deps.self.fingerprint, name: deps.self.name() },
    ...deps
      .peerEntries()
      .filter((e) => e.record.mine === true)
      .map((e) => ({ fingerprint: e.fingerprint, name: e.record.name })),
  ];
}

export function groupsApi(deps: GroupsApiDeps): MethodHandlers {
  const { book } = deps;
  const info = (id: string): GroupInfo => {
    const g = book.view().groups.find((x) => x.id === id);
    if (!g) throw new ClawError('INTERNAL', `group ${short(id)} is gone`);
    return groupInfo(deps, g);
  };
  return {
    'groups.create': async ({ name }) => {
      if (book.view().groups.some((g) => !g.deleted && nameKey(g.name) === nameKey(name)))
        throw new ClawError('BAD_ARGUMENT', `a group named '${name}' exists already`);
      const id = randomBytes(16).toString('hex');
      if (!GROUP_ID.test(id)) throw new ClawError('INTERNAL', 'group id');
      // The owner's devices sign for it on members' devices only once an `owner` record names them.
      const owners: GroupDecision[] = ownDevices(deps).map((d) => ({
        kind: 'owner',
        group: id,
        subject: d.fingerprint,
        name: d.name,
      }));
      await book.decide([
        { kind: 'settings', group: id, subject: id, name, allow: [...DEFAULT_GROUP_ALLOW] },
        ...owners,
      ]);
      return { group: info(id) };
    },
    'groups.add': async ({ group, devices }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'add devices');
      const decisions: GroupDecision[] = devices.map((ref) => {
        const d = ownDevice(deps, ref);
        return { kind: 'device', group: g.id, subject: d.fingerprint, name: d.name };
      });
      await book.decide(decisions);
      return { group: info(g.id) };
    },
    'groups.drop': async ({ group, devices }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'drop devices');
      const decisions: GroupDecision[] = devices.map((ref) => {
        const prefix = fingerprintPrefix(ref);
        const d = g.devices.find(
          (x) =>
            nameKey(x.name) === nameKey(ref) || (prefix !== undefined && x.fingerprint.startsWith(prefix)),
        );
        if (!d) throw new ClawError('BAD_ARGUMENT', `${ref} is not a device of group ${g.name}`);
        return { kind: 'device-drop', group: g.id, subject: d.fingerprint };
      });
      await book.decide(decisions);
      return { group: info(g.id) };
    },
    'groups.allow': async ({ group, permissions }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'change what members may do');
      await book.decide([
        { kind: 'settings', group: g.id, subject: g.id, name: g.name, allow: [...permissions] },
      ]);
      return { group: info(g.id) };
    },
    'groups.rename': async ({ group, name }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'rename the group');
      if (book.view().groups.some((x) => x.id !== g.id && !x.deleted && nameKey(x.name) === nameKey(name)))
        throw new ClawError('BAD_ARGUMENT', `a group named '${name}' exists already`);
      await book.decide([{ kind: 'settings', group: g.id, subject: g.id, name, allow: [...g.allow] }]);
      return { group: info(g.id) };
    },
    'groups.list': () => ({ groups: groupInfos(deps) }),
    'groups.remove': async ({ group, member }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'remove members');
      const prefix = fingerprintPrefix(member);
      const found = g.members.filter(
        (m) => nameKey(m.name) === nameKey(member) || (prefix !== undefined && m.root.startsWith(prefix)),
      );
      if (found.length !== 1)
        throw new ClawError(
          'BAD_ARGUMENT',
          found.length === 0
            ? `no member '${member}' in group ${g.name}`
            : `'${member}' could be ${found.length} members; give the root's fingerprint (group ls --json)`,
        );
      await book.decide([{ kind: 'member-remove', group: g.id, subject: found[0]!.root }]);
      return { group: info(g.id) };
    },
    'groups.leave': async ({ group }) => {
      const g = findGroup(book, group);
      if (g.role !== 'member')
        throw new ClawError('BAD_ARGUMENT', `this node owns group ${g.name}: delete it instead`);
      const self = deps.self.fingerprint;
      const mine = g.members.find((m) => m.devices.some((d) => d.fingerprint === self));
      // The root leaves for the person; another device of the member takes only itself out.
      const decision: GroupDecision =
        mine === undefined || mine.root === self
          ? { kind: 'member-remove', group: g.id, subject: mine?.root ?? self }
          : { kind: 'member-device-remove', group: g.id, subject: self, member: mine.root };
      await book.decide([decision]);
      return { group: { id: g.id, name: g.name } };
    },
    'groups.delete': async ({ group }) => {
      const g = findGroup(book, group);
      ownerOnly(g, 'delete it');
      await book.decide([{ kind: 'delete', group: g.id, subject: g.id }]);
      return { group: { id: g.id, name: g.name } };
    },
  };
}
