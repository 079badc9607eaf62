/**
 * Real agents for the groups' integration tests (docs/adr/0092-groups-reach-and-admission.md): the
 * owner's devices O1–O3 marked mine to each other, a member's devices M1 and M2 marked mine to each
 * other, an outsider X, all on one relay; the members' and the outsider's devices relay-only
 * (`--no-direct`), so every path to a group's device from a member's is the relay.
 *
 * A member joins as a person does (`makeMember`: `group invite`, then `group join` with the code).
 */
import type { InvitationInfo } from '../../src-main/group-members/group-members-contract.js';
import { pairMine, type LoopbackNode } from './loopback-nodes.js';
import { agentCall, cli, cliJson, startAgent, tempHome, type AgentProc } from './processes.js';
import { until } from './wait.js';

export interface GroupNode extends LoopbackNode {
  proc: AgentProc;
  relayOnly: boolean;
  /** Its relays, the first its home relay. */
  relay: string | string[];
}

/** `clawbridge agent` named `name` on `relay` (or on each of several, the first its home), direct on loopback unless `relayOnly`. */
export async function startGroupNode(
  name: string,
  label: string,
  relay: string | string[],
  relayOnly: boolean,
  home = tempHome(`${label}-${name}`),
): Promise<GroupNode> {
  const proc = await startAgent(home, {
    name,
    relay,
    listen: relayOnly ? false : '127.0.0.1:0',
    ui: false,
    env: { CLAWBRIDGE_LOG: 'info' },
  });
  return { name, home, fingerprint: proc.fingerprint, address: proc.listen ?? '', proc, relayOnly, relay };
}

/** The node again after a stop, on the same home. */
export function restart(node: GroupNode): Promise<GroupNode> {
  return startGroupNode(node.name, '', node.relay, node.relayOnly, node.home);
}

/** Marks `a` and `b` as one person's devices both ways and waits until they link. */
export async function mine(a: GroupNode, b: GroupNode): Promise<void> {
  await pairMine(a, b, true);
}

/**
 * Makes `member` a member of `group` owned by `inviter`, both running, by the real path: `group
 * invite` on the inviter, `group join CODE` on the member (the PAKE over the relay they share). The
 * member is then named for the device that joined, as `group ls` shows it.
 */
export async function makeMember(inviter: GroupNode, member: GroupNode, group: string): Promise<void> {
  const invitation = await cliJson<InvitationInfo>(['group', 'invite', group, '--home', inviter.home]);
  const joined = await cli(['group', 'join', invitation.code, '--home', member.home], 150_000);
  if (joined.code !== 0) throw new Error(`group join on ${member.name} failed: ${joined.stderr}`);
}

/** Waits until `at`'s `groups.list` satisfies `ok`; returns the list. */
export async function groupsUntil(
  at: Pick<LoopbackNode, 'home' | 'name'>,
  what: string,
  ok: (groups: Awaited<ReturnType<typeof listGroups>>) => boolean,
  ms = 30_000,
) {
  return until(
    `${what} on ${at.name}`,
    async () => {
      const groups = await listGroups(at);
      return ok(groups) && groups;
    },
    ms,
  );
}

export async function listGroups(at: Pick<LoopbackNode, 'home'>) {
  return (await agentCall(at.home, 'groups.list', {})).groups;
}
