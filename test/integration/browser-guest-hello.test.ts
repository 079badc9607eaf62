/**
 * A browser dials a group's device as a member, so its hello says it comes as a guest (ADR 0100), as
 * an agent's does: a device that does not let it in yet (the group's records have not reached it)
 * refuses it as waiting, keeps no request to pair and tells its owner nothing. Made certain here by
 * starting O2 from a copy of its home taken before the group existed, with O1, which would bring it
 * the records, stopped: the browser's records name O2, O2 knows no group.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { after, test } from 'node:test';
import type { InvitationInfo } from '../../src-main/group-members/group-members-contract.js';
import { startBrowserNode } from '../helpers/browser-node.js';
import { mine, restart, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, cliJson, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

test('a browser dialing a group device that does not know the group yet is no request to pair', async () => {
  const relay = await startRelay();
  const [o1, o2] = await Promise.all([
    startGroupNode('o1', 'bguest', relay.url, false),
    startGroupNode('o2', 'bguest', relay.url, false),
  ]);
  await mine(o1, o2);
  // O2 before any group: the same node, without the records to come.
  await o2.proc.stop();
  const before = tempHome('bguest-o2-before');
  cpSync(o2.home, before, { recursive: true });
  const o2Back = await restart(o2);
  await until('O1 and O2 linked again', async () =>
    (await agentCall(o1.home, 'peers.list', {})).some((p) => p.name === 'o2' && p.state === 'online'),
  );
  await cliJson(['group', 'create', 'lab', '--home', o1.home]);
  await cliJson(['group', 'add', 'lab', 'o2', '--home', o1.home]);
  const invitation = await cliJson<InvitationInfo>(['group', 'invite', 'lab', '--home', o1.home]);
  const browser = await startBrowserNode(relay.url);
  try {
    const joined = await browser.joinGroup(invitation.link);
    assert.deepEqual(
      joined.devices.map((d) => d.fingerprint),
      [o2.fingerprint],
      "the browser's records name O2",
    );
    await Promise.all([o1.proc.stop(), o2Back.proc.stop()]);
    const early = await restart({ ...o2, home: before });
    assert.equal(early.fingerprint, o2.fingerprint, 'the copy is O2');

    await assert.rejects(browser.connect(o2.fingerprint), (err: Error) => {
      assert.match(err.message, /does not let this node in as a guest \(yet/, err.message);
      return true;
    });
    const pending = await agentCall(before, 'pending.list', {});
    assert.deepEqual(
      pending.map((p) => p.fingerprint),
      [],
      'O2 keeps no request to pair from a member that came as a guest',
    );
  } finally {
    browser.close();
  }
});
