/**
 * The groups this browser is a member of, for the window's Groups view (ADR 0094 §Groups): `groups.list`
 * (each group as the contract's GroupInfo, role member, each device with the state of this browser's
 * link to it), `groups.join` (an invitation code or link) and `groups.leave`; `groups.changed` goes out
 * from group-links.ts when they change. A browser owns no group: the owner's methods (create, add,
 * drop, allow, invite, invitations, cancel, remove, delete, history) are not served, so the view offers
 * none of them. The mapping below is pure (test/unit/browser-window/groups.test.ts).
 */
import type { GroupDeviceInfo, GroupInfo } from '../../src-main/groups/groups-contract.js';
import type { JoinResult } from '../../src-main/group-members/group-members-contract.js';
import { ApiError } from '../../src-renderer/api/transport.js';
import type { BrowserGroup } from '../node/group-join.js';
import { stateOf, type LinkState } from './device-state.js';
import type { Method } from './node-context.js';
import { asApiError, stringParam } from './params.js';

/**
 * Reasons a group's device gives when it no longer lets this browser in: the owner removed the member,
 * dropped the device or deleted the group. It is then not dialed again by itself (group-links.ts).
 */
const NOT_LET_IN = /no longer lets this node in|removed this node|waiting for approval|not approved/i;

/** What a device that refuses this browser is said to mean: the member view prefixes `offline: `. */
export const REMOVED_WORDS = 'this browser was removed from the group';

/** Whether `link` says the device refuses this browser (a refusal code, or the words of one). */
export function refusesThisBrowser(link: LinkState): boolean {
  return link.kind === 'down' && (link.refusal !== undefined || NOT_LET_IN.test(link.reason));
}

/** One device of a group as the member's view shows it: always through the relay, never this node. */
export function groupDeviceInfo(
  device: { fingerprint: string; name: string },
  link: LinkState,
): GroupDeviceInfo {
  const up = link.kind === 'up';
  return {
    name: device.name,
    fingerprint: device.fingerprint,
    self: false,
    online: up,
    path: up ? 'relay' : null,
    why: up ? null : refusesThisBrowser(link) ? REMOVED_WORDS : stateOf(link).detail,
  };
}

/** A group this browser belongs to, as `groups.list` answers it; a deleted group is not listed. */
export function groupInfoOf(group: BrowserGroup, linkOf: (fingerprint: string) => LinkState): GroupInfo {
  return {
    id: group.id,
    name: group.name,
    role: 'member',
    permissions: [...group.allow],
    devices: group.devices.map((d) => groupDeviceInfo(d, linkOf(d.fingerprint))),
  };
}

/** What `groups.join` answers for the group joined through `relayUrl`. */
export function joinResultOf(group: BrowserGroup, relayUrl: string): JoinResult {
  return {
    group: { id: group.id, name: group.name },
    inviter: group.inviter,
    via: `relay ${relayUrl}`,
    devices: group.devices.map((d) => ({ name: d.name, fingerprint: d.fingerprint })),
  };
}

/** A failed join in the window's words: the code is an invitation's here, not a pairing's. */
export function joinError(err: unknown): ApiError {
  const e = asApiError(err);
  if (e.code === 'BAD_PAIR_CODE')
    return new ApiError('BAD_ARGUMENT', e.message.replace(/^pair code/, 'the invitation code'));
  if (e.code === 'RELAY_FAILED' || (e.code === 'TIMEOUT' && /relay/.test(e.message)))
    return new ApiError(e.code, `cannot reach the relay: ${e.message}`);
  return e;
}

export const GROUP_METHODS: Readonly<Record<string, Method>> = {
  'groups.list': (node) => {
    // Opening the view is a good moment to ask the devices what changed (bounded in group-links.ts).
    node.groups.syncSoon();
    return Promise.resolve({ groups: node.groups.list() });
  },
  'groups.join': async (node, params) => {
    const code = stringParam('groups.join', params, 'code');
    try {
      return joinResultOf(await node.groups.join(code), node.relayUrl);
    } catch (err) {
      throw joinError(err);
    }
  },
  'groups.leave': async (node, params) => {
    const ref = stringParam('groups.leave', params, 'group');
    const group = node.groups.find(ref);
    if (!group) throw new ApiError('BAD_ARGUMENT', `this browser is not a member of a group '${ref}'`);
    try {
      await node.groups.leave(group.id);
    } catch (err) {
      throw asApiError(err);
    }
    return { group: { id: group.id, name: group.name } };
  },
};
