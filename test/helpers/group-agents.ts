/**
 * Real agents for the groups' integration tests (docs/adr/0092-groups-reach-and-admission.md): the
 * owner's devices O1–O3 marked mine to each other, a member's devices M1 and M2 marked mine to each
 * other, an outsider X, all on one relay; the members' and the outsider's devices relay-only
 * (`--no-direct`), so every path to a group's device from a member's is the relay.
 *
 * A test that is about joining uses `group invite` / `group join` (group-invite-join.test.ts,
 * groups-peers.test.ts). `makeMember` is the shortcut for the ones that are not: it does what a join
 * leaves behind through the GroupBook's file (group-book.ts) — with O1 and M1 stopped it adds O1's
 * signed `member` record to O1's groups.json and gives M1 the group's records with O1 as its `joined`
 * anchor — so the member gets the name the test chose.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateIdentity } from '../../src-main/home/identity-store.js';
import { GROUPS_FILE } from '../../src-main/groups/group-book.js';
import { signGroupDecision } from '../../src-main/state/group-decisions.js';
import type { GroupRecord } from '../../src-main/protocol/group-records.js';
import { pairMine, type LoopbackNode } from './loopback-nodes.js';
import { agentCall, startAgent, tempHome, type AgentProc } from './processes.js';
import { until } from './wait.js';

export interface GroupNode extends LoopbackNode {
  proc: AgentProc;
  relayOnly: boolean;
  relay: string;
}

/** `clawbridge agent` named `name` on `relay`, direct on loopback unless `relayOnly`. */
export async function startGroupNode(
  name: string,
  label: string,
  relay: string,
  relayOnly: boolean,
  home = tempHome(`${label}-${name}`),
): Promise<GroupNode> {
  const proc = await startAgent(home, {
    name,
    relay,
    listen: relayOnly ? false : '127.0.0.1:0',
    ui: false,
    env: { CLAWBRIDGE_LOG: 'info' },
    readyMs: 30_000,
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

interface GroupsFile {
  version: 1;
  records: GroupRecord[];
  joined: Record<string, string[]>;
}

function readGroups(home: string): GroupsFile {
  return JSON.parse(readFileSync(join(home, GROUPS_FILE), 'utf8')) as GroupsFile;
}

/**
 * Makes `member` (M1, stopped, or not yet started) a member of group `id` owned by `inviter` (O1,
 * stopped), named `name`, as the invitation will: the inviter's signed `member` record in both files,
 * and the inviter as the member's anchor.
 */
export async function makeMember(
  inviterHome: string,
  memberHome: string,
  id: string,
  name: string,
): Promise<void> {
  const inviter = await loadOrCreateIdentity(inviterHome);
  const member = await loadOrCreateIdentity(memberHome);
  const file = readGroups(inviterHome);
  const record = signGroupDecision(inviter, file.records, {
    kind: 'member',
    group: id,
    subject: member.fingerprint,
    name,
  });
  const records = [...file.records, record];
  writeFileSync(join(inviterHome, GROUPS_FILE), JSON.stringify({ ...file, records }));
  writeFileSync(
    join(memberHome, GROUPS_FILE),
    JSON.stringify({ version: 1, records, joined: { [id]: [inviter.fingerprint] } }),
  );
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
