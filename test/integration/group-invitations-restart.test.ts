/**
 * Open group invitations outlive the owner's agent (invitation-file.ts), with real agents on a relay:
 * the owner invites twice, a device joins with the first code, the owner's agent restarts; `group
 * invitations` lists the second still open and the first used, with who used it; the first code finds
 * nobody, the second makes the member. The file holding the codes is the owner's alone.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { INVITATIONS_FILE } from '../../src-main/group-members/invitation-file.js';
import { groupsUntil, restart, startGroupNode, type GroupNode } from '../helpers/group-agents.js';
import { agentCall, cli, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Waits until `node` is connected to its relay (codes are met there). */
async function onRelay(node: GroupNode): Promise<void> {
  await until(
    `${node.name} on the relay`,
    async () => (await agentCall(node.home, 'status', {})).relays.some((r) => r.connected),
    30_000,
  );
}

test('an open invitation survives a restart of the owner, and a used one stays used', async () => {
  const relay = await startRelay();
  const [owner, member, other] = await Promise.all([
    startGroupNode('owner', 'inv-restart', relay.url, true),
    startGroupNode('member', 'inv-restart', relay.url, true),
    startGroupNode('other', 'inv-restart', relay.url, true),
  ]);
  await Promise.all([owner, member, other].map(onRelay));
  await agentCall(owner.home, 'groups.create', { name: 'lab' });
  await agentCall(owner.home, 'groups.add', { group: 'lab', devices: ['owner'] });
  // Over the control socket, as `group invite` does (group-cli checks its words): ~0.4 s of CPU each.
  const first = await agentCall(owner.home, 'groups.invite', { group: 'lab' });
  const second = await agentCall(owner.home, 'groups.invite', { group: 'lab', ttlMs: 60 * 60_000 });
  const used = await cli(['group', 'join', first.code, '--home', other.home], 150_000);
  assert.equal(used.code, 0, used.stderr);

  await owner.proc.stop();
  const mode = statSync(join(owner.home, INVITATIONS_FILE)).mode & 0o777;
  assert.equal(mode, 0o600, 'the codes at rest are the owner’s alone');
  const back = await restart(owner);
  await onRelay(back);

  const listed = (await agentCall(back.home, 'groups.invitations', {})).invitations;
  const byCode = new Map(listed.map((i) => [i.code, i]));
  assert.equal(byCode.get(second.code)?.state, 'open', 'the second invitation is still open');
  assert.equal(byCode.get(second.code)?.expiresAt, second.expiresAt, 'with the time it had');
  assert.equal(byCode.get(first.code)?.state, 'used', 'the first one stays used');
  assert.equal(byCode.get(first.code)?.by?.fingerprint, other.fingerprint, 'by the device that used it');

  const again = await cli(['group', 'join', first.code, '--home', member.home], 150_000);
  assert.notEqual(again.code, 0, 'a used code finds nobody after the restart');
  const joined = await until(
    'the member joins with the second code',
    async () => {
      const r = await cli(['group', 'join', second.link, '--home', member.home], 150_000);
      // The relay may not have the code again yet: not found is not used up, so try once more.
      if (r.code !== 0 && /not found|invalid or expired/i.test(r.stderr) && !/used/.test(r.stderr))
        return false;
      return r;
    },
    60_000,
  );
  assert.equal(joined.code, 0, joined.stderr);
  const [lab] = await groupsUntil(member, 'lab', (gs) => gs.length === 1);
  assert.equal(lab?.role, 'member');
  const after = (await agentCall(back.home, 'groups.invitations', {})).invitations;
  assert.equal(after.find((i) => i.code === second.code)?.by?.fingerprint, member.fingerprint);
});
