/**
 * A browser node joins a group with an invitation code (ADR 0094 §Groups): it meets the inviter (an
 * owner's device) on the code's rendezvous with the same CPace as pairing, then, over frames sealed
 * under the CPace key (group-invitation.ts), says `join`, takes the group's records, checks each one's
 * signature (group-records.ts) and that they make this browser a member — with the agent's own pure
 * rule (groups/group-view.ts), the inviter, whom the code confirmed, as its anchor — and says `joined`.
 * It is then the member's root device: the group's devices let it in as a guest with the group's words,
 * and it dials them through its relay, pinned by fingerprint, as a paired device.
 */
import { groupsView, type GroupView } from '../../src-main/groups/group-view.js';
import { MAX_GROUP_RECORDS_PER_EXCHANGE, type GroupRecord } from '../../src-main/protocol/group-records.js';
import { BrowserNodeError } from './bytes.js';
import { checkedGroupRecord } from './group-records.js';
import type { InvitationFrame } from '../../src-main/protocol/group-invitation-frames.js';
import { JoinerChannel } from './group-invitation.js';
import type { BrowserIdentity } from './identity.js';
import { pairHello, PairingJoiner, parsePairCode, refusalError } from './pairing.js';
import { circuitReader, openRendezvous } from './circuit-reader.js';
import type { RelayConnection } from './relay-connection.js';
import type { StoredGroup } from './store.js';

/** How long the inviter may take for each step, in ms (invitations.ts INVITATION_STEP_TIMEOUT_MS). */
const STEP_TIMEOUT_MS = 15_000;

/** A group as this browser sees it: the agent's view of one group, and who invited it. */
export interface BrowserGroup {
  id: string;
  name: string;
  /** What a member may do on the group's devices. */
  allow: string[];
  deleted: boolean;
  /** The group's devices, which this browser may dial. */
  devices: { fingerprint: string; name: string }[];
  inviter: { fingerprint: string; name: string };
}

/** What `records` make of `group` on browser `self`, the inviter its anchor; undefined when nothing. */
export function viewOf(self: string, group: StoredGroup): GroupView | undefined {
  const view = groupsView(group.records, {
    self,
    mine: new Set([self]),
    joined: new Map([[group.id, new Set([group.inviter.fingerprint])]]),
  });
  return view.groups.find((g) => g.id === group.id);
}

/** Whether `view` makes `self` one of a member's devices (a removed member's group does not). */
function isMemberIn(view: GroupView | undefined, self: string): view is GroupView {
  return view?.role === 'member' && view.members.some((m) => m.devices.some((d) => d.fingerprint === self));
}

/** The groups this browser is a member of, as kept: the ones whose records still make it one. */
export function browserGroups(self: string, kept: readonly StoredGroup[]): BrowserGroup[] {
  const out: BrowserGroup[] = [];
  for (const g of kept) {
    const view = viewOf(self, g);
    if (!isMemberIn(view, self)) continue;
    out.push({
      id: view.id,
      name: view.name,
      allow: view.allow,
      deleted: view.deleted,
      devices: view.deleted ? [] : view.devices.map((d) => ({ fingerprint: d.fingerprint, name: d.name })),
      inviter: g.inviter,
    });
  }
  return out;
}

/**
 * Joins the group whose invitation `codeOrLink` is (a code, or a `clawbridge://group?invite=` link),
 * through `relay`; resolves with the group to keep, or rejects with why not (the inviter is told).
 */
export async function joinGroupByCode(
  relay: RelayConnection,
  identity: BrowserIdentity,
  relayUrl: string,
  codeOrLink: string,
): Promise<StoredGroup> {
  const code = parsePairCode(codeOrLink);
  const circuit = await openRendezvous(relay, code.tag, relayUrl, 'invitation code');
  const next = circuitReader(circuit, {
    failed: 'joining failed',
    timedOut: 'the inviter did not answer in time',
  });
  try {
    const joiner = new PairingJoiner(code, identity.certDer, identity.name);
    circuit.send(pairHello(code.tag, 'group'));
    circuit.send(joiner.start());
    const msg2 = await next(STEP_TIMEOUT_MS);
    const refused = refusalError(msg2);
    if (refused) throw refused;
    const { message, result } = await joiner.receive(msg2);
    circuit.send(message);
    const channel = await JoinerChannel.of(result.sessionKey);
    result.sessionKey.fill(0);
    const inviter = { fingerprint: result.peerFingerprint, name: result.peerName };
    const frame = async (): Promise<InvitationFrame> => {
      const f = await channel.open(await next(STEP_TIMEOUT_MS), `the group from ${inviter.name}`);
      if (f.t === 'refused')
        throw new InviterRefused(`${inviter.name} did not let this browser join: ${f.reason}`);
      return f;
    };
    circuit.send(await channel.seal({ t: 'join' }));
    try {
      const header = await frame();
      if (header.t !== 'group') throw outOfOrder(inviter.name);
      const records: GroupRecord[] = [];
      while (records.length < header.records) {
        const batch = await frame();
        if (batch.t !== 'records' || records.length + batch.records.length > header.records)
          throw outOfOrder(inviter.name);
        // Each one checked, whole or not at all: one bad record refuses the invitation.
        for (const raw of batch.records) records.push(await checkedGroupRecord(raw));
      }
      const group: StoredGroup = {
        id: header.group,
        name: header.name,
        inviter,
        relayUrl,
        records: records.slice(0, MAX_GROUP_RECORDS_PER_EXCHANGE),
      };
      const view = viewOf(identity.fingerprint, group);
      if (!isMemberIn(view, identity.fingerprint) || view.deleted)
        throw new BrowserNodeError(
          'PAIRING_FAILED',
          `the records ${inviter.name} sent do not make this browser a member`,
        );
      group.name = view.name;
      circuit.send(await channel.seal({ t: 'joined' }));
      return group;
    } catch (err) {
      // The inviter learns why no member came of its code (when it refused, it knows).
      if (!(err instanceof InviterRefused))
        circuit.send(await channel.seal({ t: 'refused', reason: (err as Error).message.slice(0, 300) }));
      throw err;
    }
  } finally {
    circuit.close('joining done');
  }
}

/** The inviter's own refusal: not told back. */
class InviterRefused extends BrowserNodeError {
  constructor(message: string) {
    super('PAIRING_FAILED', message);
  }
}

const outOfOrder = (inviter: string) =>
  new BrowserNodeError('PAIRING_FAILED', `${inviter} sent the group out of order — update both sides`);
