/**
 * A browser node as a group's member (ADR 0094 §Groups), with real agents on loopback and a relay: O1
 * (O2 marked mine to it) makes `lab` with O2 and invites; the browser core (src-web/node/, in Node)
 * joins with the code, checks the records and lists lab with O2; it opens a terminal on O2, where
 * `echo` answers, and cannot open one on O1 (no group device); the owner's `group allow` reaches it
 * from O2 (syncGroups); a second browser joins and leaves by itself (leaveGroup: its terminal ends,
 * O1 lists it no more); O1 removes the first: its open terminal ends within 5 s and a new one is
 * refused.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MAX_GROUP_EXCHANGES_PER_MINUTE } from '../../src-main/groups/group-exchange-service.js';
import type { BrowserTerminal } from '../../src-web/node/terminal.js';
import { startBrowserNode } from '../helpers/browser-node.js';
import { listGroups, mine, startGroupNode } from '../helpers/group-agents.js';
import { agentCall, startRelay, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** The bound for a member to reach the group's devices, and for a removal to end its terminal. */
const JOIN_MS = 30_000;
const REMOVAL_MS = 5_000;
/** How often the browser asks O2 for the group's news while it waits: 15 syncs in JOIN_MS, half of what O2 allows it. */
const SYNC_POLL_MS = (2 * JOIN_MS) / MAX_GROUP_EXCHANGES_PER_MINUTE;

test('a browser joins a group with its code, opens a terminal on its device, and removal ends it', async () => {
  const relay = await startRelay();
  const [o1, o2] = await Promise.all([
    startGroupNode('o1', 'bgroup', relay.url, false),
    startGroupNode('o2', 'bgroup', relay.url, false),
  ]);
  await mine(o1, o2);
  // Over the control socket, as the commands do (group-cli checks their words): ~0.4 s of CPU each.
  await agentCall(o1.home, 'groups.create', { name: 'lab' });
  await agentCall(o1.home, 'groups.add', { group: 'lab', devices: ['o2'] });
  const invitation = await agentCall(o1.home, 'groups.invite', { group: 'lab' });

  const browser = await startBrowserNode(relay.url);
  try {
    const joined = await browser.joinGroup(invitation.link);
    assert.equal(joined.name, 'lab');
    assert.equal(joined.inviter.fingerprint, o1.fingerprint);
    assert.deepEqual(
      joined.devices.map((d) => d.fingerprint),
      [o2.fingerprint],
    );
    assert.deepEqual(joined.allow, ['terminal']);
    assert.deepEqual(
      (await browser.groups()).map((g) => g.name),
      ['lab'],
      'kept in its store',
    );
    const [owned] = await listGroups(o1);
    assert.deepEqual(
      owned?.members?.map((m) => [m.name, m.root]),
      [['phone', browser.fingerprint]],
      'the browser is the member',
    );

    // O2 lets the member in once O1's records reached it.
    let output = '';
    let ended: { exit?: unknown; error?: string } | undefined;
    const terminal = await until(
      'a terminal on O2 opens',
      async (): Promise<BrowserTerminal | undefined> => {
        try {
          return await browser.openTerminal(
            o2.fingerprint,
            { cols: 80, rows: 24 },
            { output: (b) => (output += new TextDecoder().decode(b)), end: (r) => (ended = r) },
          );
        } catch {
          return undefined;
        }
      },
      JOIN_MS,
    );
    terminal.write('echo hello-$((6*7))\n');
    await until('O2 answers the member', () => output.includes('hello-42'), JOIN_MS);

    await assert.rejects(
      browser.openTerminal(
        o1.fingerprint,
        { cols: 80, rows: 24 },
        { output: () => undefined, end: () => undefined },
      ),
      /not paired/,
      'O1 is no device of the group',
    );

    // A change the owner makes reaches the browser from the group's device, signed and checked. Each
    // sync is an exchange O2 counts against the browser (MAX_GROUP_EXCHANGES_PER_MINUTE): polled at
    // until's 100 ms, a slow O1 → O2 hop let the browser spend the minute's allowance and be refused
    // for the rest of the wait. Every SYNC_POLL_MS keeps it to half of that within JOIN_MS.
    await agentCall(o1.home, 'groups.allow', { group: 'lab', permissions: ['terminal', 'forward'] });
    await until(
      'the browser learns the new words from O2',
      async () => (await browser.syncGroups())[0]?.allow.includes('forward'),
      { timeoutMs: JOIN_MS, everyMs: SYNC_POLL_MS },
    );

    // A second browser joins, then leaves by itself: its terminal ends and the owner sees it gone.
    const second = await agentCall(o1.home, 'groups.invite', { group: 'lab' });
    const tablet = await startBrowserNode(relay.url, { name: 'tablet' });
    try {
      const lab = await tablet.joinGroup(second.code);
      let tabletEnded = false;
      await until(
        'a terminal on O2 opens for the tablet',
        () =>
          tablet
            .openTerminal(
              o2.fingerprint,
              { cols: 80, rows: 24 },
              { output: () => undefined, end: () => (tabletEnded = true) },
            )
            .catch(() => undefined),
        JOIN_MS,
      );
      await tablet.leaveGroup(lab.id);
      assert.deepEqual(await tablet.groups(), [], 'the tablet forgot the group');
      await until('the tablet terminal ends after it left', () => tabletEnded, REMOVAL_MS);
      await until(
        "O1 no longer lists the tablet among lab's members",
        async () => {
          const [g] = await listGroups(o1);
          return g?.members?.every((m) => m.name !== 'tablet');
        },
        JOIN_MS,
      );
    } finally {
      tablet.close();
    }

    await agentCall(o1.home, 'groups.remove', { group: 'lab', member: 'phone' });
    await until('the terminal on O2 ends after the removal', () => ended !== undefined, REMOVAL_MS);
    // O2 keeps the removed device a guest with no word until it has the news (ADR 0092, amended),
    // so the terminal service says the word is gone, or that the node is gone once it let it go.
    assert.match(
      ended?.error ?? '',
      /removed this node|no longer allows terminals from this node|no longer lets this node in: removed from group lab/,
      'the terminal ends saying O2 no longer lets this browser in',
    );
    await assert.rejects(
      browser.openTerminal(
        o2.fingerprint,
        { cols: 80, rows: 24 },
        { output: () => undefined, end: () => undefined },
      ),
      // Held to the news of its removal (ADR 0092, amended), or a stranger once let go: hung up on,
      // or its knock left pending for the owner.
      /no longer lets this node in|waiting for approval|not approved|removed|access here has ended/i,
      'a removed member cannot open another',
    );
  } finally {
    browser.close();
  }
});
